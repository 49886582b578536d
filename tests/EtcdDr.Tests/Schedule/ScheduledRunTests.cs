using EtcdDr.Schedule;
using EtcdDr.Testing;

namespace EtcdDr.Tests.Schedule;

/// <summary>The metrics file is written however a run ends, not only when it fails politely.</summary>
public class ScheduledRunTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 5, 0, 0, TimeSpan.Zero);

    private static ScheduleConfig Config(TempDir dir, bool onlyIfLeader = false, List<string>? recipients = null) => new()
    {
        Cluster = "prod",
        Destinations = ["file://" + dir.File("backups")],
        Recipients = recipients,
        OnlyIfLeader = onlyIfLeader,
        Lock = new ScheduleConfig.LockSection { File = dir.File("run/snapshot.lock") },
        Metrics = new ScheduleConfig.MetricsSection { Textfile = dir.File("metrics/etcd_dr.prom") },
        // Nothing listens there; these runs end before (or while) connecting.
        Etcd = new ScheduleConfig.EtcdSection { Endpoints = ["http://127.0.0.1:9"] },
    };

    private static Dictionary<string, double> Metrics(TempDir dir) => TextfileMetrics.Read(File.ReadAllText(dir.File("metrics/etcd_dr.prom")));

    [Fact]
    public async Task A_bad_recipient_still_counts_an_attempt_and_a_failure()
    {
        using var dir = new TempDir();
        var run = new ScheduledSnapshotRun(new FakeClock(Now));
        await Assert.ThrowsAsync<PkiVault.Age.AgeException>(() => run.RunAsync(Config(dir, recipients: ["not-a-recipient"]), TextWriter.Null, default));

        var m = Metrics(dir);
        Assert.Equal(Now.ToUnixTimeSeconds(), m["last_attempt_timestamp_seconds"]);
        Assert.Equal(1, m["failures_total"]);
        Assert.Equal(1, m["runs_total"]);
        Assert.Equal(0, m["last_run_success"]);
        Assert.False(Directory.Exists(dir.File("backups")));
    }

    [Fact]
    public async Task A_cancelled_run_still_counts_an_attempt_and_a_failure()
    {
        using var dir = new TempDir();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var run = new ScheduledSnapshotRun(new FakeClock(Now));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.RunAsync(Config(dir, onlyIfLeader: true), TextWriter.Null, cancelled.Token));

        var m = Metrics(dir);
        Assert.Equal(1, m["failures_total"]);
        Assert.Equal(Now.ToUnixTimeSeconds(), m["last_attempt_timestamp_seconds"]);
        Assert.Equal(0, m["last_skipped"]);
    }
}
