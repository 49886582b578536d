namespace EtcdDr.Lab;

/// <summary>The faults `lab break` injects (docs/lab.md says what each does per flavor).</summary>
public enum LabBreakKind
{
    KillEtcd,
    StopEtcd,
    WipeData,
    CorruptData,
    LoseQuorum,
    CutOff,
    LoseHost,
}

public static class LabBreakKinds
{
    public static readonly IReadOnlyDictionary<string, LabBreakKind> ByName = new Dictionary<string, LabBreakKind>
    {
        ["kill-etcd"] = LabBreakKind.KillEtcd,
        ["stop-etcd"] = LabBreakKind.StopEtcd,
        ["wipe-data"] = LabBreakKind.WipeData,
        ["corrupt-data"] = LabBreakKind.CorruptData,
        ["lose-quorum"] = LabBreakKind.LoseQuorum,
        ["cut-off"] = LabBreakKind.CutOff,
        ["lose-host"] = LabBreakKind.LoseHost,
    };

    public static LabBreakKind Parse(string name) =>
        ByName.TryGetValue(name, out var kind) ? kind
            : throw new DrException($"unknown fault '{name}'; use one of {string.Join(", ", ByName.Keys)}", FailureKind.Usage);
}

/// <summary>One master in `lab status`.</summary>
/// <param name="Init">The master's init (its "machine") runs.</param>
/// <param name="Sshd">Its sshd accepts TCP connections.</param>
/// <param name="Etcd">"running PID", "stopped", or why nobody could tell.</param>
/// <param name="Health">"healthy", "leader" or the error the member's Status call gave.</param>
public sealed record LabMasterStatus(string Name, string Address, bool Init, bool Sshd, string Etcd, bool CutOff, string? MemberId, bool IsLeader, string Health);

public sealed record LabStatusReport(string StateDirectory, string Flavor, string Inventory, IReadOnlyList<LabMasterStatus> Masters,
    bool NoHostEtcdctl, IReadOnlyDictionary<string, string> Replaced)
{
    public bool AllHealthy => Masters.All(m => m.Init && m.Sshd && m.MemberId is not null);
}
