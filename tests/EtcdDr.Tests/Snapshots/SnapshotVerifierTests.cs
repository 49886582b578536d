using EtcdDr.Tests.Fakes;
using EtcdDr.Etcd;
using EtcdDr.Snapshots;
using EtcdDr.Testing;

namespace EtcdDr.Tests.Snapshots;

public class SnapshotVerifierTests : IAsyncLifetime
{
    private FakeEtcdServer _server = null!;
    private readonly TempDir _dir = new();
    private string _path = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeEtcdServer.StartAsync(dbSize: 64 * 1024);
        _path = _dir.File("snap.db");
        using var client = new EtcdClient(new EtcdConnectionOptions([_server.Endpoint]));
        await new SnapshotSaver(client, TimeProvider.System).SaveAsync(SnapshotSaveRequest.ToFile(_path), null, TextWriter.Null, default);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    private Task<SnapshotVerifyReport> Verify() => SnapshotVerifier.VerifyFileAsync(_path, null, null, default);

    [Fact]
    public async Task A_fresh_snapshot_passes_every_check()
    {
        var report = await Verify();
        Assert.True(report.Valid, string.Join("; ", report.Checks));
        Assert.All(report.Checks, c => Assert.True(c.Ok));
        Assert.Equal(["manifest", "bbolt", "layout", "trailer", "size", "sha256"], report.Checks.Select(c => c.Name));
    }

    [Fact]
    public async Task A_flipped_bit_fails_the_trailer_and_the_manifest_hash()
    {
        var bytes = await File.ReadAllBytesAsync(_path);
        bytes[5000] ^= 0x80;
        await File.WriteAllBytesAsync(_path, bytes);
        var report = await Verify();
        Assert.False(report.Valid);
        Assert.False(report.Checks.Single(c => c.Name == "trailer").Ok);
        Assert.False(report.Checks.Single(c => c.Name == "sha256").Ok);
    }

    [Fact]
    public async Task Truncation_fails_layout_trailer_and_size()
    {
        var bytes = await File.ReadAllBytesAsync(_path);
        await File.WriteAllBytesAsync(_path, bytes[..^1000]);
        var report = await Verify();
        Assert.False(report.Valid);
        Assert.False(report.Checks.Single(c => c.Name == "layout").Ok);
        Assert.False(report.Checks.Single(c => c.Name == "size").Ok);
    }

    [Fact]
    public async Task Without_a_manifest_the_file_alone_is_checked()
    {
        File.Delete(SnapshotManifest.PathFor(_path));
        var report = await Verify();
        Assert.True(report.Valid);
        Assert.Null(report.Checks.Single(c => c.Name == "manifest").Ok);
    }

    [Fact]
    public async Task A_file_that_is_not_a_snapshot_fails()
    {
        File.Delete(SnapshotManifest.PathFor(_path));
        await File.WriteAllTextAsync(_path, new string('x', 4096));
        var report = await Verify();
        Assert.False(report.Valid);
        Assert.False(report.Checks.Single(c => c.Name == "bbolt").Ok);
    }

    [Fact]
    public async Task A_missing_file_is_a_usage_error()
    {
        var ex = await Assert.ThrowsAsync<DrException>(() => SnapshotVerifier.VerifyFileAsync(_dir.File("nope.db"), null, null, default));
        Assert.Equal(FailureKind.Usage, ex.Kind);
    }
}
