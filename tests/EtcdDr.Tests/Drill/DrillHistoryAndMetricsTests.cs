using EtcdDr.Drill.Reports;
using static EtcdDr.Tests.Drill.DrillSamples;

namespace EtcdDr.Tests.Drill;

public sealed class DrillHistoryAndMetricsTests
{
    [Fact]
    public async Task History_appends_one_file_per_run_and_reads_back_this_clusters_runs_oldest_first()
    {
        using var dir = new TempDir();
        var first = Report() with { RunId = "one", StartedAt = At(-3600), RtoSeconds = 9 };
        var second = Report() with { RunId = "two", RtoSeconds = 7 };
        var other = Report() with { RunId = "three", Cluster = "prod" };
        foreach (var r in new[] { second, other, first })
            await DrillHistory.AppendAsync(dir.Path, r, CancellationToken.None);
        await File.WriteAllTextAsync(dir.File("broken.json"), "{");

        var (entries, unreadable) = await DrillHistory.ReadAsync(dir.Path, "lab", CancellationToken.None);
        Assert.Equal(["one", "two"], entries.Select(e => e.RunId));
        Assert.Equal([9.0, 7.0], entries.Select(e => e.RtoSeconds!.Value));
        Assert.Single(unreadable);
        Assert.Equal(4, Directory.GetFiles(dir.Path, "*.json").Length);
    }

    [Fact]
    public async Task Metrics_keep_the_last_passed_drill_through_failures_per_cluster()
    {
        using var dir = new TempDir();
        var file = dir.File("etcd_dr_drill.prom");
        await DrillMetrics.WriteAsync(file, Report() with { RtoSeconds = 7.25, RpoSeconds = 1.5 }, At(100), CancellationToken.None);
        await DrillMetrics.WriteAsync(file, Report() with { Cluster = "prod", RtoSeconds = 30 }, At(150), CancellationToken.None);
        await DrillMetrics.WriteAsync(file, Report(passed: false), At(200), CancellationToken.None);

        var text = await File.ReadAllTextAsync(file);
        var all = DrillMetrics.Read(text);
        var lab = all["lab"];
        Assert.Equal(At(100).ToUnixTimeSeconds(), lab["last_success_timestamp_seconds"]);
        Assert.Equal(7.25, lab["last_success_rto_seconds"]);
        Assert.Equal(1.5, lab["last_success_rpo_seconds"]);
        Assert.Equal(At(200).ToUnixTimeSeconds(), lab["last_run_timestamp_seconds"]);
        Assert.Equal(0, lab["last_run_success"]);
        Assert.Equal(2, lab["runs_total"]);
        Assert.Equal(1, lab["failures_total"]);
        Assert.Equal(30, all["prod"]["last_success_rto_seconds"]);
        Assert.Contains("etcd_dr_drill_last_success_timestamp_seconds{cluster=\"prod\"} " + At(150).ToUnixTimeSeconds(), text, StringComparison.Ordinal);
        Assert.Equal(1, text.Split('\n').Count(l => l == "# TYPE etcd_dr_drill_runs_total counter"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(file));
    }

    [Fact]
    public async Task A_failed_first_drill_writes_no_success_time()
    {
        using var dir = new TempDir();
        var file = dir.File("m.prom");
        await DrillMetrics.WriteAsync(file, Report(passed: false), At(10), CancellationToken.None);
        Assert.False(DrillMetrics.Read(await File.ReadAllTextAsync(file))["lab"].ContainsKey("last_success_timestamp_seconds"));
    }
}
