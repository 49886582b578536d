using EtcdDr.Storage;

namespace EtcdDr.Tests.Storage;

public class LocalDirStoreTests
{
    [Fact]
    public async Task Write_list_read_delete()
    {
        using var dir = new TempDir();
        var store = new LocalDirStore(dir.Path);
        await store.WriteAsync("c/snapshots/a.db", async (s, ct) => await s.WriteAsync(new byte[] { 1, 2, 3 }, ct), default);
        var listed = await store.ListAsync("c/snapshots/", default).ToListAsync();
        Assert.Equal(("c/snapshots/a.db", 3L), (listed.Single().Key, listed.Single().Size));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(dir.File("c/snapshots/a.db")));
        await using (var read = await store.OpenReadAsync("c/snapshots/a.db", default))
            Assert.Equal(3, read.Length);
        await store.DeleteAsync("c/snapshots/a.db", default);
        Assert.Empty(await store.ListAsync("c/", default).ToListAsync());
    }

    [Fact]
    public async Task A_writer_that_fails_leaves_nothing_listed_or_on_disk()
    {
        using var dir = new TempDir();
        var store = new LocalDirStore(dir.Path);
        await Assert.ThrowsAsync<IOException>(() => store.WriteAsync("c/x.db", async (s, ct) =>
        {
            await s.WriteAsync(new byte[1000], ct);
            throw new IOException("network dropped");
        }, default));
        Assert.Empty(await store.ListAsync("c/", default).ToListAsync());
        Assert.Empty(Directory.GetFiles(dir.Path, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Keys_cannot_climb_out_of_the_root()
    {
        using var dir = new TempDir();
        var store = new LocalDirStore(dir.File("root"));
        await Assert.ThrowsAsync<DrException>(() => store.WriteAsync("../escape", (_, _) => Task.CompletedTask, default));
    }
}
