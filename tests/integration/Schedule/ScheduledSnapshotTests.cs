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

    private string WriteConfig(TempDirectory dir, int member, string extra = "")
    {
        var certs = Cluster.ClientCertPaths!;
        var path = dir.Combine("config.yaml");
        File.WriteAllText(path, $"""
            cluster: lab
            destinations: [ "file://{dir.Combine("backups")}" ]
            onlyIfLeader: true
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
