namespace EtcdDr.Drill;

/// <summary>What a drill breaks and how it brings the cluster back.</summary>
public enum DrillScenarioKind
{
    /// <summary>etcd stopped on a majority and kept down; restore --from-member a survivor (RPO ~ 0).</summary>
    LoseQuorum,
    /// <summary>Every member's data dir gone; every member restored from the one snapshot (snapshot-all).</summary>
    WipeAll,
    /// <summary>As <see cref="WipeAll"/>, restored the Kubespray way: force-new-cluster, then members re-added.</summary>
    WipeAllForceNewCluster,
    /// <summary>One member's data corrupt while the quorum is healthy; `restore member`, no downtime for clients.</summary>
    CorruptMember,
    /// <summary>A master lost for good; a replacement on a new address gets the PKI archive and joins.</summary>
    LoseMaster,
    /// <summary>Every master's disk lost: the newest encrypted snapshot is fetched from the store and restored.</summary>
    FromStore,
}

/// <summary>One scenario's fixed facts: its CLI name, what it proves, and what the restore is asked to do.</summary>
/// <param name="RestoreStrategy">The `restore` strategy it exercises: snapshot-all, force-new-cluster,
/// from-member or member.</param>
/// <param name="ClientsKeepWriting">The quorum stays healthy throughout, so canary writes go on during the
/// fault and the restore, and every one of them must succeed.</param>
/// <param name="RequiresNoFailedWrite">Clients of the healthy quorum must see no failed write at all
/// (corrupt-member); with a master gone, a client may wait out its dial timeout, which is counted but not failed.</param>
/// <param name="LosesWritesAfterSnapshot">Restored from the snapshot, so canaries written after it are lost
/// by design (RPO = their span); otherwise RPO must be 0.</param>
public sealed record DrillScenario(DrillScenarioKind Kind, string Name, string Summary, string RestoreStrategy, bool ClientsKeepWriting, bool RequiresNoFailedWrite, bool LosesWritesAfterSnapshot)
{
    public static readonly IReadOnlyList<DrillScenario> All =
    [
        new(DrillScenarioKind.LoseQuorum, "lose-quorum", "etcd down on a majority of the masters; quorum recovered from a surviving member's data (restore --from-member)", "from-member", false, false, false),
        new(DrillScenarioKind.WipeAll, "wipe-all", "every member's data dir lost; every member restored from the one snapshot (snapshot-all)", "snapshot-all", false, false, true),
        new(DrillScenarioKind.WipeAllForceNewCluster, "wipe-all-force-new-cluster", "every member's data dir lost; restored on one member with force-new-cluster, the others re-added one by one", "force-new-cluster", false, false, true),
        new(DrillScenarioKind.CorruptMember, "corrupt-member", "one member's data corrupt while the quorum is healthy; the member repaired (restore member) with no downtime for clients", "member", true, true, false),
        new(DrillScenarioKind.LoseMaster, "lose-master", "one master lost for good; a replacement on a new address gets the PKI archive and joins as that member (restore member --replace --pki) while the quorum serves", "member", true, false, false),
        new(DrillScenarioKind.FromStore, "from-store", "every master's disk lost; the newest encrypted snapshot fetched from the store and restored everywhere", "snapshot-all", false, false, true),
    ];

    public static IReadOnlyList<string> Names => [.. All.Select(s => s.Name)];

    /// <summary>A scenario by name, or every one for "all".</summary>
    public static IReadOnlyList<DrillScenario> Parse(string name)
    {
        if (name == "all")
            return All;
        return All.FirstOrDefault(s => s.Name == name) is { } one
            ? [one]
            : throw new DrException($"unknown drill scenario '{name}'; use one of {string.Join(", ", Names)} or all", FailureKind.Usage);
    }

    public static DrillScenario Of(DrillScenarioKind kind) => All.First(s => s.Kind == kind);
}
