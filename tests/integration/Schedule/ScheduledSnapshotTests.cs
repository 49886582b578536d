using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Schedule;
using EtcdDr.Snapshots;
using EtcdDr.Storage;

namespace EtcdDr.IntegrationTests.Schedule;

/// <summary>
/// `snapshot save --config` as a timer runs it on each master, against a real 3-member TLS etcd:
/// only the leader saves, the lock makes overlapping runs skip, prune follows a good save, metrics
/// are written every time, and the local member is found from kubeadm's files.
/// </summary>
public sealed class ScheduledSnapshotTests(ThreeMemberTlsClusterFixture fixture) : IClassFixture<ThreeMemberTlsClusterFixture>
{
    private EtcdCluster Cluster => fixture.Cluster;

    private async Task<(int Leader, int Follower)> LeaderAndFollowerAsync()
    {
        var status = await CliRunner.RunAsync(["status", .. CliRunner.ConnectionArgs(Cluster), "--output", "json"]);
        using var json = System.Text.Json.JsonDocument.Parse(status.Stdout);
        var endpoints = json.RootElement.GetProperty("endpoints").EnumerateArray().ToList();
        var leader = endpoints.FindIndex(e => e.GetProperty("isLeader").GetBoolean());
        return (leader, (leader + 1) % 3);
    }

    private string WriteConfig(TempDirectory dir, int member, string extra = "", string? destinations = null, bool onlyIfLeader = true)
    {
        var certs = Cluster.ClientCertPaths!;
        var path = dir.Combine("config.yaml");
        File.WriteAllText(path, $"""
            cluster: lab
            destinations: [ {destinations ?? $"\"file://{dir.Combine("backups")}\""} ]
            onlyIfLeader: {(onlyIfLeader ? "true" : "false")}
            lock: {"{"} file: {dir.Combine("run", "snapshot.lock")} {"}"}
            metrics: {"{"} textfile: {dir.Combine("metrics", "etcd_dr.prom")} {"}"}
            etcd:
              endpoints: [ "{Cluster.Endpoints[member]}" ]
              cacert: {certs.CaFile}
              cert: {certs.CertFile}
              key: {certs.KeyFile}
            {extra}
            """);
        return path;
    }

    private static Dictionary<string, double> Metrics(TempDirectory dir) =>
        TextfileMetrics.Read(File.ReadAllText(dir.Combine("metrics", "etcd_dr.prom")));

    [Fact]
    public async Task Only_the_leaders_timer_saves_and_both_write_metrics()
    {
        var (leader, follower) = await LeaderAndFollowerAsync();
        using var followerDir = TempDirectory.Create();
        var skipped = await CliRunner.RunAsync("snapshot", "save", "--config", WriteConfig(followerDir, follower));
        Assert.True(skipped.ExitCode == 0, skipped.ToString());
        Assert.Contains("not the leader", skipped.Stderr);
        Assert.False(Directory.Exists(followerDir.Combine("backups")));
        Assert.Equal(1, Metrics(followerDir)["last_skipped"]);

        using var leaderDir = TempDirectory.Create();
        var saved = await CliRunner.RunAsync("snapshot", "save", "--config", WriteConfig(leaderDir, leader), "--output", "json");
        Assert.True(saved.ExitCode == 0, saved.ToString());
        var catalog = await SnapshotCatalog.ReadAsync(new LocalDirStore(leaderDir.Combine("backups")), "lab", default);
        Assert.True(Assert.Single(catalog.Snapshots).Verified);
        var metrics = Metrics(leaderDir);
        Assert.Equal(1, metrics["last_run_success"]);
        Assert.True(metrics["revision"] > 0);
        Assert.Equal(catalog.Snapshots[0].Size, metrics["size_bytes"]);
        // A real run over TLS takes measurable time, and no more than the test did.
        Assert.InRange(metrics["duration_seconds"], 0.001, 60);
        Assert.Equal(0, metrics["last_not_leader_timestamp_seconds"]);
        Assert.True(Metrics(followerDir)["last_not_leader_timestamp_seconds"] > 0);
    }

    [Fact]
    public async Task A_destination_that_cannot_be_written_fails_alone_with_exit_6()
    {
        var (leader, _) = await LeaderAndFollowerAsync();
        using var dir = TempDirectory.Create();
        // Tests run as root, which ignores permission bits: the bad directory sits below a regular file.
        File.WriteAllText(dir.Combine("not-a-dir"), "x");
        var good = dir.Combine("backups");
        var config = WriteConfig(dir, leader, "retention: { keepLast: 1 }",
            destinations: $"\"file://{dir.Combine("not-a-dir", "backups")}\", \"file://{good}\"");
        var run = await CliRunner.RunAsync("snapshot", "save", "--config", config);
        Assert.True(run.ExitCode == 6, run.ToString());
        Assert.Contains(dir.Combine("not-a-dir"), run.Stderr);

        var catalog = await SnapshotCatalog.ReadAsync(new LocalDirStore(good), "lab", default);
        Assert.True(Assert.Single(catalog.Snapshots).Verified);
        Assert.False(Directory.Exists(dir.Combine("not-a-dir", "backups")));
        var metrics = Metrics(dir);
        Assert.Equal(1, metrics["failures_total"]);
        Assert.Equal(0, metrics["last_run_success"]);
        Assert.True(metrics["last_success_timestamp_seconds"] > 0); // a verified copy did land
    }

    [Fact]
    public async Task The_only_if_leader_flag_makes_a_followers_run_stand_down()
    {
        var (_, follower) = await LeaderAndFollowerAsync();
        using var dir = TempDirectory.Create();
        var config = WriteConfig(dir, follower, onlyIfLeader: false);
        var run = await CliRunner.RunAsync("snapshot", "save", "--config", config, "--only-if-leader");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("not the leader", run.Stderr);
        Assert.False(Directory.Exists(dir.Combine("backups")));
        Assert.Equal(1, Metrics(dir)["last_skipped"]);

        // Without the flag the same config saves from the follower.
        var saved = await CliRunner.RunAsync("snapshot", "save", "--config", config);
        Assert.True(saved.ExitCode == 0, saved.ToString());
        Assert.Single((await SnapshotCatalog.ReadAsync(new LocalDirStore(dir.Combine("backups")), "lab", default)).Snapshots);
    }

    [Theory]
    [InlineData("-o")]
    [InlineData("--to")]
    public async Task Config_mode_refuses_destinations_on_the_command_line(string option)
    {
        using var dir = TempDirectory.Create();
        var config = WriteConfig(dir, 0);
        var value = option == "-o" ? dir.Combine("extra.db") : "file://" + dir.Combine("extra");
        var run = await CliRunner.RunAsync("snapshot", "save", "--config", config, option, value);
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("drop -o/--to", run.Stderr);
        Assert.False(File.Exists(dir.Combine("extra.db")));
        Assert.False(Directory.Exists(dir.Combine("backups")));
        Assert.False(File.Exists(dir.Combine("metrics", "etcd_dr.prom"))); // refused before any run
    }

    [Fact]
    public async Task A_run_that_finds_the_lock_held_skips_with_exit_7()
    {
        var (leader, _) = await LeaderAndFollowerAsync();
        using var dir = TempDirectory.Create();
        var config = WriteConfig(dir, leader);
        using (await RunLock.TryAcquireAsync(dir.Combine("run", "snapshot.lock"), TimeSpan.Zero, TimeProvider.System, default))
        {
            var busy = await CliRunner.RunAsync("snapshot", "save", "--config", config);
            Assert.True(busy.ExitCode == 7, busy.ToString());
        }
        Assert.Equal(1, Metrics(dir)["last_skipped"]);
        Assert.False(Directory.Exists(dir.Combine("backups")));
    }

    [Fact]
    public async Task Prune_follows_each_good_save()
    {
        var (leader, _) = await LeaderAndFollowerAsync();
        using var dir = TempDirectory.Create();
        var config = WriteConfig(dir, leader, "retention: { keepLast: 2 }");
        for (var i = 0; i < 4; i++)
        {
            var run = await CliRunner.RunAsync("snapshot", "save", "--config", config);
            Assert.True(run.ExitCode == 0, run.ToString());
            await Task.Delay(1100); // keys are named to the second
        }
        var catalog = await SnapshotCatalog.ReadAsync(new LocalDirStore(dir.Combine("backups")), "lab", default);
        Assert.Equal(2, catalog.Snapshots.Count);
        Assert.Equal(4, Metrics(dir)["runs_total"]);
    }

    [Fact]
    public async Task An_unreachable_member_fails_the_run_and_counts_a_failure()
    {
        using var dir = TempDirectory.Create();
        var port = LoopbackAddresses.FreePort(System.Net.IPAddress.Loopback);
        var certs = Cluster.ClientCertPaths!;
        File.WriteAllText(dir.Combine("config.yaml"), $"""
            cluster: lab
            destinations: [ "file://{dir.Combine("backups")}" ]
            lock: {"{"} file: {dir.Combine("snapshot.lock")} {"}"}
            metrics: {"{"} textfile: {dir.Combine("metrics", "etcd_dr.prom")} {"}"}
            etcd: {"{"} endpoints: [ "https://127.0.0.1:{port}" ], cacert: {certs.CaFile}, cert: {certs.CertFile}, key: {certs.KeyFile} {"}"}
            """);
        var run = await CliRunner.RunAsync("snapshot", "save", "--config", dir.Combine("config.yaml"));
        Assert.True(run.ExitCode == 4, run.ToString());
        Assert.Equal(1, Metrics(dir)["failures_total"]);
        Assert.Equal(0, Metrics(dir)["last_success_timestamp_seconds"]);
    }

    [Fact]
    public async Task Finds_the_local_member_from_kubeadm_files()
    {
        var (leader, _) = await LeaderAndFollowerAsync();
        using var dir = TempDirectory.Create();
        var root = dir.CreateSubdirectory("root");
        var pki = Directory.CreateDirectory(Path.Combine(root, "etc/kubernetes/pki/etcd")).FullName;
        var certs = Cluster.ClientCertPaths!;
        File.Copy(certs.CaFile, Path.Combine(pki, "ca.crt"));
        File.Copy(certs.CertFile, Path.Combine(pki, "healthcheck-client.crt"));
        File.Copy(certs.KeyFile, Path.Combine(pki, "healthcheck-client.key"));
        var manifests = Directory.CreateDirectory(Path.Combine(root, "etc/kubernetes/manifests")).FullName;
        File.WriteAllText(Path.Combine(manifests, "etcd.yaml"), $"""
            apiVersion: v1
            kind: Pod
            spec:
              containers:
              - name: etcd
                command:
                - etcd
                - --advertise-client-urls={Cluster.Endpoints[leader]}
                - --name={Cluster.Members[leader].Name}
                - --trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt
            """);
        File.WriteAllText(dir.Combine("config.yaml"), $"""
            cluster: lab
            destinations: [ "file://{dir.Combine("backups")}" ]
            onlyIfLeader: true
            lock: {"{"} file: {dir.Combine("snapshot.lock")} {"}"}
            etcd: {"{"} root: {root} {"}"}
            """);
        var run = await CliRunner.RunAsync("snapshot", "save", "--config", dir.Combine("config.yaml"), "--output", "json");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains(Cluster.Endpoints[leader], run.Stdout);
    }
}
