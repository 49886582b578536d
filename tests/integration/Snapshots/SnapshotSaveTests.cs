using System.Text.Json;
using EtcdDr.Etcd;
using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Snapshots;

namespace EtcdDr.IntegrationTests.Snapshots;

/// <summary>
/// `etcd-dr snapshot save` against real etcd: the file must restore with the real
/// `etcdctl snapshot restore` (hash check on) and give back every key.
/// </summary>
public sealed class SnapshotSaveTests
{
    private static async Task AssertRestoresWithKeys(string snapshot, IReadOnlyDictionary<string, string> keys, int members = 1, bool tls = false)
    {
        await using var restored = await SnapshotRestore.RestoreAndStartAsync(snapshot, new EtcdClusterOptions { Name = "restored", MemberCount = members, Tls = tls });
        var prefix = keys.Keys.First()[..^8];
        Assert.Equal(keys.Count, await restored.CountKeysAsync(prefix));
        foreach (var key in keys.Keys.Where((_, i) => i % 97 == 0))
            Assert.Equal(keys[key], await restored.GetAsync(key));
    }

    [Fact]
    public async Task Single_plain_member_saves_a_snapshot_that_etcdctl_restores()
    {
        await using var cluster = await EtcdCluster.StartAsync(new EtcdClusterOptions { Name = "save1" });
        var keys = await cluster.PutKeysAsync(500, "/save1/", valueSize: 200);
        using var dir = TempDirectory.Create();
        var path = dir.Combine("snap.db");

        var result = await CliRunner.RunAsync(["snapshot", "save", .. CliRunner.ConnectionArgs(cluster), "-o", path, "--output", "json"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("not encrypted", result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        var manifest = json.RootElement.GetProperty("manifest");
        Assert.Equal("3.4.23", manifest.GetProperty("etcdVersion").GetString());
        Assert.True(manifest.GetProperty("revision").GetInt64() >= 5);
        Assert.Equal(new FileInfo(path).Length, manifest.GetProperty("fileSize").GetInt64());
        Assert.Equal(32, new FileInfo(path).Length % 512);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.False(File.Exists(path + ".part"));

        var verify = await CliRunner.RunAsync("snapshot", "verify", path, "--output", "table");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        await AssertRestoresWithKeys(path, keys);
    }

    [Fact]
    public async Task Three_tls_members_save_restore_to_three_members()
    {
        await using var cluster = await EtcdCluster.StartAsync(new EtcdClusterOptions { Name = "save3tls", MemberCount = 3, Tls = true });
        var keys = await cluster.PutKeysAsync(300, "/save3/");
        using var dir = TempDirectory.Create();
        var path = dir.Combine("snap.db");

        var result = await CliRunner.RunAsync(["snapshot", "save", .. CliRunner.ConnectionArgs(cluster), "-o", path, "--output", "json"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var manifest = SnapshotManifest.Parse(await File.ReadAllTextAsync(SnapshotManifest.PathFor(path)), "m");
        Assert.StartsWith("https://", manifest.Endpoint);
        // A follower is preferred over the leader.
        var status = await CliRunner.RunAsync(["status", .. CliRunner.ConnectionArgs(cluster), "--output", "json"]);
        using var statusJson = JsonDocument.Parse(status.Stdout);
        var leaderEndpoint = statusJson.RootElement.GetProperty("endpoints").EnumerateArray().Single(e => e.GetProperty("isLeader").GetBoolean()).GetProperty("endpoint").GetString();
        Assert.NotEqual(leaderEndpoint, manifest.Endpoint);
        await AssertRestoresWithKeys(path, keys, members: 3, tls: true);
    }

    [Fact]
    public async Task Fails_over_when_the_first_endpoint_is_down()
    {
        await using var cluster = await EtcdCluster.StartAsync(new EtcdClusterOptions { Name = "failover", MemberCount = 3 });
        var keys = await cluster.PutKeysAsync(100, "/fo/");
        await cluster.KillMemberAsync(0);
        using var dir = TempDirectory.Create();
        var path = dir.Combine("snap.db");

        var result = await CliRunner.RunAsync(["snapshot", "save", .. CliRunner.ConnectionArgs(cluster), "-o", path, "--output", "json"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.NotEqual(cluster.Members[0].ClientUrl, json.RootElement.GetProperty("manifest").GetProperty("endpoint").GetString());
        Assert.Contains(json.RootElement.GetProperty("failedAttempts").EnumerateArray(), f => f.GetString()!.Contains("connection refused"));
        await AssertRestoresWithKeys(path, keys);
    }

    [Fact]
    public async Task A_member_killed_mid_stream_is_replaced_by_the_next_and_nothing_half_written_remains()
    {
        await using var cluster = await EtcdCluster.StartAsync(new EtcdClusterOptions { Name = "midstream", MemberCount = 3 });
        var keys = await cluster.PutKeysAsync(3000, "/mid/", valueSize: 10_000); // ~30 MB: a stream long enough to cut
        using var dir = TempDirectory.Create();
        var path = dir.Combine("snap.db");
        string? killed = null;
        var progress = new KillOnFirstChunk(endpoint =>
        {
            killed = endpoint;
            cluster.KillMemberAsync(cluster.Members.ToList().FindIndex(m => m.ClientUrl == endpoint)).GetAwaiter().GetResult();
        });

        using var client = new EtcdClient(new EtcdConnectionOptions(cluster.Endpoints.Select(e => new Uri(e)).ToList()));
        var result = await new SnapshotSaver(client, TimeProvider.System).SaveAsync(SnapshotSaveRequest.ToFile(path), progress, TextWriter.Null, default);

        Assert.NotNull(killed);
        Assert.NotEqual(killed, result.Manifest.Endpoint);
        Assert.Single(result.FailedAttempts);
        Assert.Contains(killed!, result.FailedAttempts[0]);
        await AssertRestoresWithKeys(path, keys);
    }

    [Fact]
    public async Task The_only_member_dying_mid_stream_fails_and_leaves_no_file()
    {
        await using var cluster = await EtcdCluster.StartAsync(new EtcdClusterOptions { Name = "mid1" });
        await cluster.PutKeysAsync(3000, "/mid1/", valueSize: 10_000);
        using var dir = TempDirectory.Create();
        var path = dir.Combine("snap.db");
        var progress = new KillOnFirstChunk(_ => cluster.KillMemberAsync(0).GetAwaiter().GetResult());

        using var client = new EtcdClient(new EtcdConnectionOptions([new Uri(cluster.Endpoints[0])]));
        var ex = await Assert.ThrowsAsync<DrException>(() => new SnapshotSaver(client, TimeProvider.System).SaveAsync(SnapshotSaveRequest.ToFile(path), progress, TextWriter.Null, default));

        Assert.Equal(FailureKind.Unreachable, ex.Kind);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    private sealed class KillOnFirstChunk(Action<string> kill) : IProgress<SnapshotProgress>
    {
        private bool _done;

        public void Report(SnapshotProgress value)
        {
            if (_done)
                return;
            _done = true;
            kill(value.Endpoint);
        }
    }
}
