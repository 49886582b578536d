using EtcdDr.Tests.Fakes;
using EtcdDr.Snapshots;
using EtcdDr.Testing;
using EtcdDr.Etcd;

namespace EtcdDr.Tests.Snapshots;

/// <summary>
/// FILE.part is always a fresh 0600 file: a leftover is never reused (it would keep its mode), a
/// symlink there is never followed, and a part file another save is writing is refused.
/// </summary>
public class PartFileTests
{
    private const UnixFileMode Mode0600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private static async Task<SnapshotSaveResult> Save(string path, FakeEtcdServer server, bool force = false)
    {
        using var client = new EtcdClient(new EtcdConnectionOptions([server.Endpoint]));
        return await new SnapshotSaver(client, TimeProvider.System).SaveAsync(SnapshotSaveRequest.ToFile(path, force), null, TextWriter.Null, default);
    }

    [Fact]
    public async Task A_leftover_world_readable_part_file_is_replaced_by_a_0600_one()
    {
        await using var server = await FakeEtcdServer.StartAsync();
        using var dir = new TempDir();
        var path = dir.File("snap.db");
        await File.WriteAllTextAsync(path + ".part", "left over from a crash");
        File.SetUnixFileMode(path + ".part", Mode0600 | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        await Save(path, server);

        Assert.Equal(Mode0600, File.GetUnixFileMode(path));
        Assert.Equal(Mode0600, File.GetUnixFileMode(SnapshotManifest.PathFor(path)));
        Assert.Equal(server.ExpectedFile(), await File.ReadAllBytesAsync(path));
        Assert.False(File.Exists(path + ".part"));
    }

    [Fact]
    public async Task A_symlink_at_the_part_path_is_not_followed()
    {
        await using var server = await FakeEtcdServer.StartAsync();
        using var dir = new TempDir();
        var path = dir.File("snap.db");
        var target = dir.File("somebody-elses-file");
        await File.WriteAllTextAsync(target, "untouched");
        File.SetUnixFileMode(target, Mode0600 | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.CreateSymbolicLink(path + ".part", target);

        await Save(path, server);

        Assert.Equal("untouched", await File.ReadAllTextAsync(target));
        Assert.Equal(Mode0600 | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(target));
        Assert.Null(new FileInfo(path).LinkTarget);
        Assert.Equal(server.ExpectedFile(), await File.ReadAllBytesAsync(path));
        Assert.Equal(Mode0600, File.GetUnixFileMode(path));
    }

    [Fact]
    public async Task A_dangling_symlink_at_the_part_path_creates_nothing_at_its_target()
    {
        using var dir = new TempDir();
        var path = dir.File("snap.db");
        var target = dir.File("would-be-created");
        File.CreateSymbolicLink(path + ".part", target);

        await using (var part = PartFile.Create(path, overwrite: false))
        {
            await part.Stream.WriteAsync(new byte[] { 1, 2, 3 });
            await part.CommitAsync(default);
        }

        Assert.False(File.Exists(target));
        Assert.Equal(new byte[] { 1, 2, 3 }, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task A_part_file_another_save_is_writing_is_refused_and_left_alone()
    {
        using var dir = new TempDir();
        var path = dir.File("snap.db");
        await using var first = PartFile.Create(path, overwrite: false);
        await first.Stream.WriteAsync(new byte[] { 42 });

        var ex = Assert.Throws<DrException>(() => PartFile.Create(path, overwrite: false));

        Assert.Equal(FailureKind.Refused, ex.Kind);
        Assert.Contains("another snapshot save is writing", ex.Message);
        Assert.Contains(path + ".part", ex.Message);
        await first.CommitAsync(default);
        Assert.Equal(new byte[] { 42 }, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task A_second_save_to_the_same_path_while_the_first_streams_is_refused()
    {
        await using var server = await FakeEtcdServer.StartAsync(dbSize: 2 * 1024 * 1024);
        using var dir = new TempDir();
        var path = dir.File("snap.db");
        using var client = new EtcdClient(new EtcdConnectionOptions([server.Endpoint]));
        var secondDone = new TaskCompletionSource<Exception?>();
        var progress = new OnFirstReport(() =>
        {
            // Runs inside the first save's stream, while it holds snap.db.part.
            try
            {
                Save(path, server).GetAwaiter().GetResult();
                secondDone.SetResult(null);
            }
            catch (Exception ex)
            {
                secondDone.SetResult(ex);
            }
        });

        await new SnapshotSaver(client, TimeProvider.System).SaveAsync(SnapshotSaveRequest.ToFile(path), progress, TextWriter.Null, default);

        var refused = Assert.IsType<DrException>(await secondDone.Task);
        Assert.Equal(FailureKind.Refused, refused.Kind);
        Assert.Contains("another snapshot save is writing", refused.Message);
        Assert.Equal(server.ExpectedFile(), await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task With_force_a_failed_manifest_write_keeps_the_old_snapshot_and_its_manifest()
    {
        await using var server = await FakeEtcdServer.StartAsync();
        using var dir = new TempDir();
        var path = dir.File("snap.db");
        var manifestPath = SnapshotManifest.PathFor(path);
        await File.WriteAllTextAsync(path, "old snapshot");
        await File.WriteAllTextAsync(manifestPath, "old manifest");
        // A directory where the new manifest's part file must go makes that write fail.
        Directory.CreateDirectory(manifestPath + ".part");

        var ex = await Assert.ThrowsAsync<DrException>(() => Save(path, server, force: true));

        Assert.Contains("no destination stored it", ex.Message);
        Assert.Equal("old snapshot", await File.ReadAllTextAsync(path));
        Assert.Equal("old manifest", await File.ReadAllTextAsync(manifestPath));
        Assert.False(File.Exists(path + ".part"));

        Directory.Delete(manifestPath + ".part");
        await Save(path, server, force: true);
        Assert.Equal(server.ExpectedFile(), await File.ReadAllBytesAsync(path));
        Assert.Equal(server.ExpectedFile().Length, SnapshotManifest.Parse(await File.ReadAllTextAsync(manifestPath), "m").FileSize);
    }

    private sealed class OnFirstReport(Action first) : IProgress<SnapshotProgress>
    {
        private int _reports;

        public void Report(SnapshotProgress value)
        {
            if (Interlocked.Increment(ref _reports) == 1)
                first();
        }
    }
}

/// <summary>Issue 10: an existing FILE.manifest.json (or a symlink there) is refused without --force
/// even when FILE is absent, and with --force it is replaced, never written through.</summary>
public class ManifestSidecarTests
{
    private static async Task<SnapshotSaveResult> Save(string path, FakeEtcdServer server, bool force = false)
    {
        using var client = new EtcdClient(new EtcdConnectionOptions([server.Endpoint]));
        return await new SnapshotSaver(client, TimeProvider.System).SaveAsync(SnapshotSaveRequest.ToFile(path, force), null, TextWriter.Null, default);
    }

    [Fact]
    public async Task An_existing_manifest_without_its_snapshot_is_refused_without_force()
    {
        await using var server = await FakeEtcdServer.StartAsync();
        using var dir = new TempDir();
        var path = dir.File("snap.db");
        await File.WriteAllTextAsync(SnapshotManifest.PathFor(path), "{\"someone\":\"else\"}");

        var ex = await Assert.ThrowsAsync<DrException>(() => Save(path, server));

        Assert.Equal(FailureKind.Refused, ex.Kind);
        Assert.Contains("--force", ex.Message);
        Assert.Equal("{\"someone\":\"else\"}", await File.ReadAllTextAsync(SnapshotManifest.PathFor(path)));
        Assert.False(File.Exists(path));
        Assert.False(File.Exists(path + ".part"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_symlink_at_the_manifest_path_is_refused_and_with_force_replaced_not_followed(bool dangling)
    {
        await using var server = await FakeEtcdServer.StartAsync();
        using var dir = new TempDir();
        var path = dir.File("snap.db");
        var target = dir.File("victim");
        if (!dangling)
            await File.WriteAllTextAsync(target, "untouched");
        File.CreateSymbolicLink(SnapshotManifest.PathFor(path), target);

        var ex = await Assert.ThrowsAsync<DrException>(() => Save(path, server));
        Assert.Equal(FailureKind.Refused, ex.Kind);
        Assert.NotNull(new FileInfo(SnapshotManifest.PathFor(path)).LinkTarget);

        await Save(path, server, force: true);

        Assert.Null(new FileInfo(SnapshotManifest.PathFor(path)).LinkTarget);
        Assert.Contains("\"fileSha256\"", await File.ReadAllTextAsync(SnapshotManifest.PathFor(path)), StringComparison.OrdinalIgnoreCase);
        if (dangling)
            Assert.False(File.Exists(target));
        else
            Assert.Equal("untouched", await File.ReadAllTextAsync(target));
    }

    [Fact]
    public async Task A_dangling_symlink_at_the_snapshot_path_is_refused_without_force()
    {
        await using var server = await FakeEtcdServer.StartAsync();
        using var dir = new TempDir();
        var path = dir.File("snap.db");
        File.CreateSymbolicLink(path, dir.File("nowhere"));

        var ex = await Assert.ThrowsAsync<DrException>(() => Save(path, server));

        Assert.Equal(FailureKind.Refused, ex.Kind);
        Assert.False(File.Exists(dir.File("nowhere")));
    }
}
