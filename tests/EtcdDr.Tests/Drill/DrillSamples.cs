using EtcdDr.Drill;

namespace EtcdDr.Tests.Drill;

/// <summary>A plausible recorded run: 3 masters, canaries every 100 ms, snapshot, fault, restore, probe.</summary>
internal static class DrillSamples
{
    public static readonly DateTimeOffset T0 = new(2026, 12, 6, 2, 0, 0, TimeSpan.Zero);

    public static DateTimeOffset At(double seconds) => T0.AddSeconds(seconds);

    /// <summary>Canaries 1..n written at 0.1 s intervals from t=1, all acknowledged.</summary>
    public static List<CanaryWrite> Writes(int n) =>
        [.. Enumerable.Range(1, n).Select(i => new CanaryWrite(i, At(1 + (i - 1) * 0.1), At(1 + (i - 1) * 0.1 + 0.01), null))];

    public static IReadOnlyList<DrillStep> Steps(double outage, double restoreEnd, double recovered) =>
    [
        new(DrillStep.ClusterLane, "prepare", "cluster healthy before the drill", At(0), At(0.5)),
        new(DrillStep.ClusterLane, "prepare", "snapshot saved", At(2), At(2.4)),
        new("master-1", "prepare", "PKI backup", At(2.4), At(2.6)),
        new(DrillStep.ClusterLane, "fault", "data dirs wiped on master-1, master-2, master-3", At(outage), At(outage + 0.8)),
        new(DrillStep.ClusterLane, "restore", "restore run --strategy snapshot-all", At(outage + 0.8), At(restoreEnd)),
        new("master-1", "restore", "restore snapshot", At(outage + 1), At(outage + 3)),
        new(DrillStep.ClusterLane, "verify", "cluster serving again (probe)", At(restoreEnd), At(recovered)),
        new(DrillStep.ClusterLane, "verify", "canaries read back", At(recovered), At(recovered + 0.1)),
    ];

    public static DrillReport Report(bool passed = true, IReadOnlyList<DrillHistoryEntry>? history = null)
    {
        var scenario = DrillScenario.Parse("wipe-all")[0];
        var writes = Writes(40);
        var canaries = DrillAnalysis.Canaries(writes, Enumerable.Range(1, passed ? 25 : 5).Select(i => (long)i).ToHashSet(), ackedBeforeSnapshot: 10);
        var run = new DrillRunRecord
        {
            StartedAt = T0,
            OutageAt = At(6),
            Probe = new ProbeResult(At(6.8), At(12.5), At(13), 60, 59, "no quorum"),
            Canaries = canaries,
            Snapshot = new DrillSnapshot("/tmp/x/snapshot.db.age", 20_512, 1234, new string('a', 64), true, "3.4.23", "master-2", At(2.2)),
            PkiArchives = ["/tmp/x/pki-master-1.tar.age"],
            Steps = Steps(6, 12, 13),
            MovedAside = [new MovedDataDir("master-1", "/var/lib/etcd", "/var/lib/etcd.dr-20261206T020006Z", "restore")],
            ToolVersions = new Dictionary<string, string> { ["etcd-dr"] = "0.1.0", ["etcd"] = "3.4.23" },
        };
        var report = DrillAnalysis.Report(scenario, run, new DrillContext("20261206T020000Z-abcdef", "lab", "kubeadm", "lab (/tmp/lab)", ["master-1", "master-2", "master-3"]), At(14));
        return history is null ? report : report with { History = history };
    }
}
