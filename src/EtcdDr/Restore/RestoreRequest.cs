using System.Text.Json.Serialization;

namespace EtcdDr.Restore;

/// <summary>How the cluster is brought back (DESIGN.md section 5).</summary>
public enum RestoreStrategy
{
    /// <summary>Every member restored from the same snapshot and started together (the etcd project's way).</summary>
    SnapshotAll,
    /// <summary>The snapshot restored on the first member, started once with force-new-cluster, the others
    /// re-added one at a time as learners (the Kubespray runbook).</summary>
    ForceNewCluster,
    /// <summary>No snapshot: force-new-cluster from one member's surviving data, then re-add the others.</summary>
    FromMember,
    /// <summary>One member repaired while the quorum is healthy: remove, data dir aside, add as learner, promote.</summary>
    RepairMember,
}

/// <summary>
/// Everything a restore was asked to do, as the operator gave it. Journaled as is, so a resumed run
/// does exactly what the first one planned. Defaults and the safety rules each field is bound by:
/// </summary>
/// <param name="Strategy">Default SnapshotAll with a snapshot, FromMember with <see cref="SourceMember"/>,
/// RepairMember for `restore member`.</param>
/// <param name="Snapshot">The verified snapshot (plain, on the operator's machine). Required for SnapshotAll and
/// ForceNewCluster, absent otherwise. Preflight refuses (exit 3) one whose trailer or manifest hash fails.</param>
/// <param name="SourceMember">FromMember: the master whose data survives; RepairMember: the master to repair.
/// Must be an inventory name.</param>
/// <param name="Replacements">Master name to its NEW address (--replace NAME=ADDRESS): peer and client URLs
/// and the initial cluster follow it. Only these masters may be unreachable at preflight.</param>
/// <param name="PkiArchive">An encrypted PKI archive (pki backup) laid down on each replaced master before
/// etcd starts there; null: none. Needs <see cref="Identities"/>.</param>
/// <param name="Identities">age identity files for the snapshot and the PKI archive.</param>
/// <param name="Force">Allow restoring over a healthy quorum. Without it a healthy quorum is refused (exit 5):
/// a restore throws away every write since the snapshot.</param>
/// <param name="Stamp">UTC time of the run, yyyyMMddTHHmmssZ: names the aside data dirs (&lt;datadir&gt;.dr-STAMP),
/// the staging dir on each master and the journal; never reused, so nothing is overwritten.</param>
/// <param name="ClusterToken">--initial-cluster-token of the restored cluster; default etcd-dr-STAMP, always NEW,
/// so members of the old cluster can never talk to the restored one.</param>
/// <param name="CatchUpTimeoutSeconds">How long a re-added learner may take to catch up before the step
/// fails (default 600; the run can be resumed).</param>
/// <param name="HealthTimeoutSeconds">How long to wait for a leader and healthy members after a start (default 180).</param>
public sealed record RestoreRequest(
    RestoreStrategy Strategy,
    SnapshotSource? Snapshot,
    string? SourceMember,
    IReadOnlyDictionary<string, string> Replacements,
    string? PkiArchive,
    IReadOnlyList<string> Identities,
    bool Force,
    string Stamp,
    string? ClusterToken = null,
    int CatchUpTimeoutSeconds = 600,
    int HealthTimeoutSeconds = 180)
{
    [JsonIgnore]
    public string EffectiveClusterToken => ClusterToken ?? $"etcd-dr-{Stamp}";

    /// <summary>Where the snapshot is copied on every master; the SHA-256 is checked there before anything changes.</summary>
    [JsonIgnore]
    public string StagingDir => $"/var/lib/etcd-dr/restore-{Stamp}";

    [JsonIgnore]
    public string StagedSnapshotPath => $"{StagingDir}/snapshot.db";

    [JsonIgnore]
    public string StagedPkiPath => $"{StagingDir}/pki.tar.age";

    /// <summary>Where a data dir goes instead of being deleted.</summary>
    public string AsideFor(string dataDir) => $"{dataDir.TrimEnd('/')}.dr-{Stamp}";

    public static string NewStamp(DateTimeOffset now) => now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The snapshot a restore uses, after it was verified on the operator's machine.</summary>
/// <param name="Origin">What the operator named: a file, or store URL + key.</param>
/// <param name="LocalPath">The PLAIN snapshot here (decrypted into a private temp dir when it was encrypted).</param>
/// <param name="Sha256">SHA-256 of the plain file: checked on every master after the copy.</param>
/// <param name="Revision">The manifest's revision (null without a manifest): the restored cluster must reach it.</param>
public sealed record SnapshotSource(string Origin, string LocalPath, long Size, string Sha256, long? Revision, string? EtcdVersion);
