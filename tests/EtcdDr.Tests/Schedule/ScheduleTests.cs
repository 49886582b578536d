using EtcdDr.Schedule;
using EtcdDr.Snapshots;
using YamlDotNet.RepresentationModel;

namespace EtcdDr.Tests.Schedule;

public class ScheduleTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 5, 0, 0, TimeSpan.Zero);

    private static SnapshotManifest Manifest(long revision, long size) => new()
    {
        ClusterId = "1", MemberId = "2", Endpoint = "x", EtcdVersion = "3.4", Revision = revision, RaftIndex = 1, RaftTerm = 1, DbSize = size,
        FileSize = size, FileSha256 = "00", SnapshotSize = size, SnapshotSha256Trailer = "00", CreatedAt = Now, ToolVersion = "t",
    };

    [Fact]
    public async Task Metrics_carry_the_last_success_and_count_failures_across_runs()
    {
        using var dir = new TempDir();
        var path = dir.File("etcd_dr.prom");
        await TextfileMetrics.WriteAsync(path, "prod", RunOutcome.Success, Manifest(100, 4096), TimeSpan.FromSeconds(2), Now, default);
        await TextfileMetrics.WriteAsync(path, "prod", RunOutcome.Failed, null, TimeSpan.FromSeconds(1), Now.AddHours(1), default);
        await TextfileMetrics.WriteAsync(path, "prod", RunOutcome.Failed, null, TimeSpan.FromSeconds(1), Now.AddHours(2), default);

        var text = await File.ReadAllTextAsync(path);
        var m = TextfileMetrics.Read(text);
        Assert.Equal(Now.ToUnixTimeSeconds(), m["last_success_timestamp_seconds"]);
        Assert.Equal(Now.AddHours(2).ToUnixTimeSeconds(), m["last_attempt_timestamp_seconds"]);
        Assert.Equal(2, m["failures_total"]);
        Assert.Equal(3, m["runs_total"]);
        Assert.Equal(0, m["last_run_success"]);
        Assert.Equal(100, m["revision"]);
        Assert.Contains("etcd_dr_snapshot_revision{cluster=\"prod\"} 100\n", text);
        Assert.Contains("# TYPE etcd_dr_snapshot_failures_total counter", text);
        Assert.Empty(Directory.GetFiles(dir.Path, ".*"));
    }

    [Fact]
    public async Task Skipping_as_a_follower_is_a_healthy_run()
    {
        using var dir = new TempDir();
        var path = dir.File("m.prom");
        await TextfileMetrics.WriteAsync(path, "prod", RunOutcome.SkippedNotLeader, null, TimeSpan.Zero, Now, default);
        var m = TextfileMetrics.Read(await File.ReadAllTextAsync(path));
        Assert.Equal(1, m["last_run_success"]);
        Assert.Equal(1, m["last_skipped"]);
        Assert.Equal(0, m["last_success_timestamp_seconds"]);
    }

    [Fact]
    public async Task A_held_lock_makes_the_next_run_skip_or_wait()
    {
        using var dir = new TempDir();
        var path = dir.File("run/snapshot.lock");
        using (var first = await RunLock.TryAcquireAsync(path, TimeSpan.Zero, TimeProvider.System, default))
        {
            Assert.NotNull(first);
            Assert.Null(await RunLock.TryAcquireAsync(path, TimeSpan.Zero, TimeProvider.System, default));
            Assert.Null(await RunLock.TryAcquireAsync(path, TimeSpan.FromMilliseconds(600), TimeProvider.System, default));
        }
        using var after = await RunLock.TryAcquireAsync(path, TimeSpan.Zero, TimeProvider.System, default);
        Assert.NotNull(after);
    }

    [Fact]
    public void Rendered_units_and_cronjob()
    {
        var o = new ScheduleRenderOptions(OnCalendar: "*:0/15", CronSchedule: "*/15 * * * *");
        var service = UnitRenderer.Service(o);
        Assert.Contains("ExecStart=/usr/local/bin/etcd-dr snapshot save --config /etc/etcd-dr/config.yaml", service);
        Assert.Contains("SuccessExitStatus=7", service);
        Assert.Contains("OnCalendar=*:0/15", UnitRenderer.Timer(o));
        var yaml = new YamlStream();
        yaml.Load(new StringReader(UnitRenderer.CronJob(o)));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        Assert.Equal("CronJob", root["kind"].ToString());
        Assert.Equal("*/15 * * * *", root["spec"]["schedule"].ToString());
        Assert.Equal("Forbid", root["spec"]["concurrencyPolicy"].ToString());
    }

    [Fact]
    public void Config_requires_cluster_and_destinations()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("c.yaml"), "cluster: prod\n");
        Assert.Contains("'destinations'", Assert.Throws<DrException>(() => ScheduleConfig.Load(dir.File("c.yaml"))).Message);
        File.WriteAllText(dir.File("c.yaml"), "cluster: prod\ndestinations: [ file:///x ]\nretention: { keepDaily: 7 }\nonlyIfLeader: true\n");
        var config = ScheduleConfig.Load(dir.File("c.yaml"));
        Assert.True(config.OnlyIfLeader);
        Assert.Equal(7, config.Retention!.ToPolicy().KeepDaily);
        Assert.Equal("/run/etcd-dr/snapshot.lock", config.Lock.File);
    }
}
