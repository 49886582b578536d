namespace EtcdDr.Drill;

/// <summary>What the drill asks `etcd-dr restore` to do.</summary>
/// <param name="Strategy">snapshot-all, force-new-cluster, from-member, or member (`restore member NAME`).</param>
/// <param name="SnapshotFile">The (encrypted) snapshot the drill saved; null for from-member, member and from-store.</param>
/// <param name="StoreUrl">from-store: the store to fetch the newest snapshot of <see cref="Cluster"/> from.</param>
/// <param name="Member">from-member: the surviving master; member: the master to repair.</param>
/// <param name="Replacements">Master name to its new address (lose-master).</param>
/// <param name="PkiArchive">The encrypted PKI archive for replaced masters.</param>
/// <param name="IdentityFile">age identity that opens the snapshot and the PKI archive.</param>
public sealed record DrillRestoreRequest(
    string Strategy,
    string Cluster,
    string? SnapshotFile,
    string? StoreUrl,
    string? Member,
    IReadOnlyDictionary<string, string> Replacements,
    string? PkiArchive,
    string? IdentityFile);

/// <summary>What the restore did: its own per-host steps (for the timeline) and the data dirs it moved aside.</summary>
public sealed record DrillRestoreOutcome(string Summary, IReadOnlyList<DrillStep> HostSteps, IReadOnlyList<MovedDataDir> MovedAside);

/// <summary>Runs the restore. The CLI's implementation runs `etcd-dr restore` itself, so a drill proves
/// exactly the command an operator would type.</summary>
public interface IDrillRestorer
{
    Task<DrillRestoreOutcome> RestoreAsync(DrillRestoreRequest request, CancellationToken ct);
}
