namespace EtcdDr.Drill;

/// <summary>The faults a drill injects. Data is never deleted by a fault on a real cluster: it is moved aside.</summary>
public enum DrillFaultKind
{
    /// <summary>etcd stopped and kept down (lose-quorum: on a majority).</summary>
    StopEtcd,
    /// <summary>etcd stopped and its data dir gone (moved aside on a real cluster).</summary>
    WipeData,
    /// <summary>The member's data made unusable while the others serve.</summary>
    CorruptData,
    /// <summary>The whole master lost (its processes and disk), as a dead VM.</summary>
    LoseHost,
}

public sealed record DrillFault(DrillFaultKind Kind, IReadOnlyList<string> Hosts);

/// <summary>What a fault did, per host, and where any data dir went.</summary>
public sealed record FaultResult(IReadOnlyList<string> Lines, IReadOnlyList<MovedDataDir> MovedAside);

/// <summary>
/// Breaks the cluster. The library cannot reach the lab (only the CLI and tests reference it), so
/// the lab's faults and the SSH ones on a real cluster both come in through here.
/// </summary>
public interface IFaultInjector
{
    Task<FaultResult> BreakAsync(DrillFault fault, CancellationToken ct);

    /// <summary>lose-master: a replacement machine for <paramref name="master"/> on a NEW address, reachable
    /// over SSH with the inventory's settings but without etcd or PKI yet. Returns the address.</summary>
    Task<string> ProvisionReplacementAsync(string master, CancellationToken ct);
}
