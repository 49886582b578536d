using System.Text.Json.Serialization;
using EtcdDr.Topology;

namespace EtcdDr.Restore;

/// <summary>What one step does. Each kind has one class in Steps/.</summary>
public enum StepKind
{
    StageSnapshot,
    AdoptParkedManifest,
    StopControlPlane,
    StopEtcd,
    MoveDataAside,
    CopyDataAside,
    RestoreSnapshot,
    PlacePki,
    EditConfig,
    StartEtcd,
    WaitHealthy,
    MemberUpdate,
    MemberRemove,
    MemberAdd,
    PromoteLearner,
    StartControlPlane,
    Verify,
}

/// <summary>One configuration setting the plan changes on a master, from what to what (null: absent).</summary>
public sealed record ConfigChange(string Setting, string? From, string? To);

/// <summary>A member as the plan knows it: name, host and the peer URL it must have after the restore.</summary>
/// <param name="ClientUrl">The client URL the member advertises (what its config says).</param>
/// <param name="EndpointUrl">Where etcd-dr reaches it: the inventory's etcdClientUrl (a NAT, a load balancer, a
/// name the certificate carries) when the inventory gives one; null: <paramref name="ClientUrl"/>.</param>
public sealed record PlannedMember(string Name, string Host, string PeerUrl, string ClientUrl, string? EndpointUrl = null)
{
    /// <summary>The URL every health check, status and verify call uses.</summary>
    [JsonIgnore]
    public string ReachUrl => EndpointUrl ?? ClientUrl;
}

/// <summary>
/// One step on one host (or "cluster" for steps that talk to etcd's API). Everything a step needs to act
/// is here, so the journal's copy of the plan is enough to resume without rediscovering anything.
/// </summary>
/// <param name="Index">0-based position: the journal records steps by it.</param>
/// <param name="Title">One line for the table and the progress line.</param>
/// <param name="Commands">What will run or change there, in the operator's words (commands, files moved).</param>
/// <param name="Settings">EditConfig: etcd flag names (no dashes) to values; null removes the setting.</param>
/// <param name="Changes">EditConfig: each setting from what to what, as read at plan time.</param>
/// <param name="Path">MoveDataAside/CopyDataAside: where the data dir goes; StageSnapshot/PlacePki: the staged file.</param>
/// <param name="Restore">RestoreSnapshot: the member's restore arguments.</param>
/// <param name="Member">Member* and WaitHealthy/PromoteLearner: the member acted on.</param>
/// <param name="Expected">WaitHealthy/Verify: the members the cluster must have then.</param>
public sealed record PlanStep(int Index, StepKind Kind, string Host, string Title)
{
    public const string ClusterHost = "cluster";

    public IReadOnlyList<string> Commands { get; init; } = [];
    public IReadOnlyDictionary<string, string?>? Settings { get; init; }
    public IReadOnlyList<ConfigChange>? Changes { get; init; }
    public string? Path { get; init; }
    public SnapshotRestoreRequest? Restore { get; init; }
    public PlannedMember? Member { get; init; }
    public IReadOnlyList<PlannedMember>? Expected { get; init; }

    /// <summary>Consecutive steps with the same group run at once (members that must start together; and
    /// the same action on every host, for a shorter outage). Null: alone.</summary>
    public string? Group { get; init; }

    /// <summary>WaitHealthy: also require each member's planned peer URL (false right after force-new-cluster,
    /// before member update has fixed it).</summary>
    public bool CheckPeerUrls { get; init; } = true;
}

/// <summary>
/// The ordered steps of one restore, with the request and the topology they were planned from.
/// </summary>
public sealed record RestorePlan(RestoreRequest Request, IReadOnlyList<MasterTopology> Topology, IReadOnlyList<PlannedMember> Members, IReadOnlyList<PlanStep> Steps)
{
    /// <summary>Data dirs the plan moves (or copies) aside: the report lists them.</summary>
    [JsonIgnore]
    public IEnumerable<(string Host, string From, string To)> AsideDirs =>
        Steps.Where(s => s.Kind is StepKind.MoveDataAside or StepKind.CopyDataAside)
            .Select(s => (s.Host, Topology.First(t => t.Host == s.Host).DataDir, s.Path!));
}
