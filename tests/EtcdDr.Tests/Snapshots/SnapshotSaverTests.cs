using EtcdDr.Tests.Fakes;
using EtcdDr.Etcd;
using EtcdDr.Snapshots;
using EtcdDr.Testing;

namespace EtcdDr.Tests.Snapshots;

public class SnapshotSaverTests
{
    private static async Task<SnapshotSaveResult> Save(string path, bool force = false, params FakeEtcdServer[] servers)
    {
        using var client = new EtcdClient(new EtcdConnectionOptions(servers.Select(s => s.Endpoint).ToList()));
        return await new SnapshotSaver(client, TimeProvider.System).SaveAsync(SnapshotSaveRequest.ToFile(path, force), null, TextWriter.Null, default);
    }

    private static void AssertNothingAt(string path)
    {
        Assert.False(File.Exists(path), $"{path} exists");
        Assert.False(File.Exists(path + ".part"), $"{path}.part exists");
        Assert.False(File.Exists(SnapshotManifest.PathFor(path)), "manifest exists");
    }

    [Fact]
    public async Task Saves_the_stream_byte_for_byte_with_a_manifest_and_mode_0600()
    {
        await using var server = await FakeEtcdServer.StartAsync();
        using var dir = new TempDir();
        var path = dir.File("snap.db");
        var result = await Save(path, false, server);

        Assert.Equal(server.ExpectedFile(), await File.ReadAllBytesAsync(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        var manifest = SnapshotManifest.Parse(await File.ReadAllTextAsync(SnapshotManifest.PathFor(path)), "m");
        Assert.Equal(42, manifest.Revision);
        Assert.Equal("abc", manifest.MemberId);
        Assert.Equal("fake", manifest.MemberName);
        Assert.Equal(server.ExpectedFile().Length, manifest.FileSize);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(server.ExpectedFile())), manifest.FileSha256);
        Assert.False(File.Exists(path + ".part"));
    }

    [Theory]
    [InlineData(SnapshotBehaviour.FlipBitInBlob, "trailer mismatch")]
    [InlineData(SnapshotBehaviour.CutMidStream, "")]
    [InlineData(SnapshotBehaviour.NoTrailerStatus, "")]
    [InlineData(SnapshotBehaviour.ErrorStatus, "not capable")]
    public async Task A_bad_stream_leaves_nothing_at_the_output_path(SnapshotBehaviour behaviour, string expected)
    {
        await using var server = await FakeEtcdServer.StartAsync();
        server.Snapshot = behaviour;
        using var dir = new TempDir();
        var path = dir.File("snap.db");
        var ex = await Assert.ThrowsAsync<DrException>(() => Save(path, false, server));
        Assert.Contains(expected, ex.Message);
        Assert.Contains(server.Endpoint.Port.ToString(), ex.Message);
        AssertNothingAt(path);
    }

    [Fact]
    public async Task Fails_over_to_the_next_member_when_one_sends_a_corrupt_stream()
    {
        await using var corrupt = await FakeEtcdServer.StartAsync();
        await using var good = await FakeEtcdServer.StartAsync();
        corrupt.Snapshot = SnapshotBehaviour.FlipBitInBlob;
        // Both are followers of leader 0x999; the corrupt one is more caught up, so it goes first.
        corrupt.LeaderId = good.LeaderId = 0x999;
        corrupt.RaftIndex = 200;
        using var dir = new TempDir();
        var path = dir.File("snap.db");
        var result = await Save(path, false, good, corrupt);
        Assert.Equal(1, corrupt.SnapshotCalls);
        Assert.Equal(1, good.SnapshotCalls);
        Assert.Equal(good.ExpectedFile(), await File.ReadAllBytesAsync(path));
        Assert.Single(result.FailedAttempts);
        Assert.Contains("trailer mismatch", result.FailedAttempts[0]);
    }

    [Fact]
    public async Task Prefers_a_follower_over_the_leader()
    {
        await using var leader = await FakeEtcdServer.StartAsync();
        await using var follower = await FakeEtcdServer.StartAsync();
        leader.LeaderId = leader.MemberId;
        follower.LeaderId = leader.MemberId + 1;
        using var dir = new TempDir();
        var result = await Save(dir.File("s.db"), false, leader, follower);
        Assert.Equal(EtcdConnectionOptions.Name(follower.Endpoint), result.Manifest.Endpoint);
        Assert.Equal(0, leader.SnapshotCalls);
    }

    [Fact]
    public async Task Refuses_an_existing_file_and_leaves_it_alone()
    {
        await using var server = await FakeEtcdServer.StartAsync();
        using var dir = new TempDir();
        var path = dir.File("snap.db");
        await File.WriteAllTextAsync(path, "precious");
        var ex = await Assert.ThrowsAsync<DrException>(() => Save(path, false, server));
        Assert.Equal(FailureKind.Refused, ex.Kind);
        Assert.Contains("--force", ex.Message);
        Assert.Equal("precious", await File.ReadAllTextAsync(path));
        Assert.Equal(0, server.SnapshotCalls);
    }

    [Fact]
    public async Task Force_keeps_the_old_file_when_the_new_snapshot_fails_and_replaces_it_when_it_succeeds()
    {
        await using var server = await FakeEtcdServer.StartAsync();
        using var dir = new TempDir();
        var path = dir.File("snap.db");
        await File.WriteAllTextAsync(path, "old");
        server.Snapshot = SnapshotBehaviour.CutMidStream;
        await Assert.ThrowsAsync<DrException>(() => Save(path, true, server));
        Assert.Equal("old", await File.ReadAllTextAsync(path));
        server.Snapshot = SnapshotBehaviour.Good;
        await Save(path, true, server);
        Assert.Equal(server.ExpectedFile(), await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task Unreachable_endpoints_name_each_cause()
    {
        using var dir = new TempDir();
        using var client = new EtcdClient(new EtcdConnectionOptions([new Uri("http://127.0.0.1:1"), new Uri("http://127.0.0.1:9")], DialTimeout: TimeSpan.FromSeconds(2)));
        var ex = await Assert.ThrowsAsync<DrException>(() => new SnapshotSaver(client, TimeProvider.System).SaveAsync(SnapshotSaveRequest.ToFile(dir.File("s.db")), null, TextWriter.Null, default));
        Assert.Equal(FailureKind.Unreachable, ex.Kind);
        Assert.Contains("127.0.0.1:1: connection refused", ex.Message);
        Assert.Contains("127.0.0.1:9: connection refused", ex.Message);
        AssertNothingAt(dir.File("s.db"));
    }
}
