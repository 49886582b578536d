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
        var root = CronJobYaml(o);
        Assert.Equal("CronJob", root["kind"].ToString());
        Assert.Equal("*/15 * * * *", root["spec"]["schedule"].ToString());
        Assert.Equal("Forbid", root["spec"]["concurrencyPolicy"].ToString());
    }

    private static YamlMappingNode CronJobYaml(ScheduleRenderOptions o)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(UnitRenderer.CronJob(o)));
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    private static YamlMappingNode PodSpec(YamlMappingNode root) =>
        (YamlMappingNode)root["spec"]["jobTemplate"]["spec"]["template"]["spec"];

    [Theory]
    [InlineData("kubeadm", "/etc/kubernetes/manifests", "Directory", "/etc/etcd.env")]
    [InlineData("kubespray", "/etc/etcd.env", "File", "/etc/kubernetes/manifests")]
    public void The_cronjob_mounts_only_its_flavors_files_and_never_creates_them(string flavor, string mounted, string type, string absent)
    {
        var spec = PodSpec(CronJobYaml(new ScheduleRenderOptions(Flavor: flavor, MetricsDir: "/srv/textfile", LockDir: "/run/dr-lock")));
        Assert.Equal("", spec["nodeSelector"]["node-role.kubernetes.io/control-plane"].ToString());
        var toleration = (YamlMappingNode)((YamlSequenceNode)spec["tolerations"]).Children.Single();
        Assert.Equal(("node-role.kubernetes.io/control-plane", "Exists", "NoSchedule"),
            (toleration["key"].ToString(), toleration["operator"].ToString(), toleration["effect"].ToString()));
        Assert.Equal("true", spec["hostNetwork"].ToString());

        var volumes = ((YamlSequenceNode)spec["volumes"]).Children.Cast<YamlMappingNode>()
            .ToDictionary(v => v["hostPath"]["path"].ToString(), v => (Name: v["name"].ToString(), Type: v["hostPath"]["type"].ToString()));
        Assert.Equal(type, volumes[mounted].Type);
        Assert.DoesNotContain(absent, volumes.Keys);
        // The flavor's files must exist: "OrCreate" would plant them on a node of the other flavor.
        Assert.All(volumes.Where(v => v.Key.StartsWith("/etc", StringComparison.Ordinal)), v => Assert.DoesNotContain("OrCreate", v.Value.Type));
        Assert.Equal("DirectoryOrCreate", volumes["/srv/textfile"].Type);
        Assert.Equal("DirectoryOrCreate", volumes["/run/dr-lock"].Type);

        var container = (YamlMappingNode)((YamlSequenceNode)spec["containers"]).Children.Single();
        var mounts = ((YamlSequenceNode)container["volumeMounts"]).Children.Cast<YamlMappingNode>()
            .ToDictionary(m => m["name"].ToString(), m => (Path: m["mountPath"].ToString(), ReadOnly: m.Children.ContainsKey("readOnly")));
        Assert.Equal(volumes.Values.Select(v => v.Name).Order(), mounts.Keys.Order());
        Assert.Equal(("/srv/textfile", false), mounts[volumes["/srv/textfile"].Name]);
        Assert.Equal(("/run/dr-lock", false), mounts[volumes["/run/dr-lock"].Name]);
        Assert.Equal((mounted, true), mounts[volumes[mounted].Name]);
    }

    [Fact]
    public void An_unknown_flavor_is_a_usage_error() =>
        Assert.Equal(FailureKind.Usage, Assert.Throws<DrException>(() => UnitRenderer.CronJob(new ScheduleRenderOptions(Flavor: "rke2"))).Kind);

    [Fact]
    public async Task A_run_waiting_for_the_lock_gets_it_when_the_holder_lets_go()
    {
        using var dir = new TempDir();
        var path = dir.File("run/snapshot.lock");
        var first = await RunLock.TryAcquireAsync(path, TimeSpan.Zero, TimeProvider.System, default);
        Assert.NotNull(first);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var waiting = RunLock.TryAcquireAsync(path, TimeSpan.FromSeconds(20), TimeProvider.System, default);
        await Task.Delay(700);
        Assert.False(waiting.IsCompleted);
        first.Dispose();
        using var second = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(second);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(700), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Followers_record_their_stand_down_apart_from_the_last_success()
    {
        using var dir = new TempDir();
        var path = dir.File("m.prom");
        // This master led once, then lost the leadership: its success ages, its stand-downs are fresh.
        await TextfileMetrics.WriteAsync(path, "prod", RunOutcome.Success, Manifest(100, 4096), TimeSpan.FromSeconds(2.5), Now, default);
        await TextfileMetrics.WriteAsync(path, "prod", RunOutcome.SkippedNotLeader, null, TimeSpan.FromSeconds(0.25), Now.AddHours(1), default);
        var text = await File.ReadAllTextAsync(path);
        var m = TextfileMetrics.Read(text);
        Assert.Equal(Now.ToUnixTimeSeconds(), m["last_success_timestamp_seconds"]);
        Assert.Equal(Now.AddHours(1).ToUnixTimeSeconds(), m["last_not_leader_timestamp_seconds"]);
        Assert.Equal(0, m["failures_total"]);
        Assert.Equal(0.25, m["duration_seconds"]);
        Assert.Contains($"etcd_dr_snapshot_last_not_leader_timestamp_seconds{{cluster=\"prod\"}} {Now.AddHours(1).ToUnixTimeSeconds()}\n", text);
        Assert.Contains("# TYPE etcd_dr_snapshot_last_not_leader_timestamp_seconds gauge\n", text);

        // The next success keeps the stand-down time and records its own duration.
        await TextfileMetrics.WriteAsync(path, "prod", RunOutcome.Success, Manifest(101, 4096), TimeSpan.FromSeconds(2.5), Now.AddHours(2), default);
        m = TextfileMetrics.Read(await File.ReadAllTextAsync(path));
        Assert.Equal(Now.AddHours(1).ToUnixTimeSeconds(), m["last_not_leader_timestamp_seconds"]);
        Assert.Equal(2.5, m["duration_seconds"]);
    }

    [Fact]
    public void The_documented_alert_takes_the_newest_success_over_the_masters()
    {
        // With onlyIfLeader the followers' last_success stays 0: an alert per series fires forever.
        var doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "scheduling.md"));
        Assert.Contains("time() - max by (cluster) (etcd_dr_snapshot_last_success_timestamp_seconds) > 2 * 3600", doc);
        Assert.DoesNotContain("time() - etcd_dr_snapshot_last_success_timestamp_seconds >", doc);
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EtcdDr.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("EtcdDr.sln not found above " + AppContext.BaseDirectory);
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
