using PkiVault.IO;

namespace PkiVault.Tests.IO;

/// <summary>
/// The writeback hints in the atomic file write path: they must keep working on a real disk (a
/// wrong range gives EINVAL and silently turns them off, which only a test notices), and turn
/// themselves off without failing the write where the kernel refuses them.
/// </summary>
public sealed class AtomicFileWritebackTests : IDisposable
{
    // The temp directory is a disk here (tmpfs accepts the call too, but then proves nothing).
    private readonly string _dir = Directory.CreateTempSubdirectory("etcd-dr-writeback-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Pattern(int size)
    {
        var bytes = new byte[size];
        new Random(size).NextBytes(bytes);
        return bytes;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100_000)]
    [InlineData(((WritebackStream.Lag + 3) * WritebackStream.Window) + 12345)]
    public async Task Large_and_small_files_commit_intact_with_writeback_still_on(int size)
    {
        var content = Pattern(size);
        var path = Path.Combine(_dir, "out.bin");
        var file = AtomicFile.Create(path, overwrite: false, bufferSize: 0);
        await using (file)
        {
            // Odd-sized writes so window boundaries fall inside writes, not just between them.
            for (var offset = 0; offset < size; offset += 777_777)
                await file.Stream.WriteAsync(content.AsMemory(offset, Math.Min(777_777, size - offset)));
            Assert.True(file.WritebackEnabled, "sync_file_range was refused on a regular file");
            await file.CommitAsync(CancellationToken.None);
        }
        Assert.Equal(content, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task Buffered_writes_are_flushed_before_the_range_is_started()
    {
        var content = Pattern(2 * WritebackStream.Window + 1);
        var path = Path.Combine(_dir, "buffered.bin");
        var file = AtomicFile.Create(path, overwrite: false, bufferSize: 1 << 20);
        await using (file)
        {
            foreach (var chunk in content.Chunk(4096))
                file.Stream.Write(chunk);
            Assert.True(file.WritebackEnabled);
            await file.CommitAsync(CancellationToken.None);
        }
        Assert.Equal(content, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task On_tmpfs_the_hints_are_harmless_no_ops()
    {
        Assert.True(Directory.Exists("/dev/shm"), "/dev/shm (tmpfs) is missing");
        var path = Path.Combine("/dev/shm", $"etcd-dr-writeback-{Guid.NewGuid():N}.bin");
        try
        {
            var content = Pattern(WritebackStream.Window * (WritebackStream.Lag + 2) + 5);
            var file = AtomicFile.Create(path, overwrite: false, bufferSize: 0);
            await using (file)
            {
                await file.Stream.WriteAsync(content);
                // tmpfs accepts sync_file_range and does nothing, so the hints stay on, harmlessly.
                Assert.True(file.WritebackEnabled);
                await file.CommitAsync(CancellationToken.None);
            }
            Assert.Equal(content, await File.ReadAllBytesAsync(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_file_the_kernel_refuses_hints_for_turns_them_off_and_still_writes()
    {
        // sync_file_range on a character device fails (ESPIPE); writing must carry on regardless.
        var devNull = new FileStream("/dev/null", FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 0);
        var stream = new WritebackStream(devNull);
        await using (stream)
        {
            Assert.True(stream.WritebackEnabled);
            await stream.WriteAsync(new byte[WritebackStream.Window + 1]);
            Assert.False(stream.WritebackEnabled);
            await stream.WriteAsync(new byte[WritebackStream.Window]);
        }
    }
}
