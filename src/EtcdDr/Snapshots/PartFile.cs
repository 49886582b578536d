using System.Runtime.InteropServices;

namespace EtcdDr.Snapshots;

/// <summary>
/// Writes a file the way etcd saves snapshots: into PATH.part with mode 0600, fsync, then rename
/// over PATH and fsync the directory. Until <see cref="CommitAsync"/> nothing exists at PATH, and
/// disposing without committing deletes the part file, so a failure never leaves a file at PATH
/// that looks whole.
/// </summary>
public sealed class PartFile : IAsyncDisposable
{
    private readonly FileStream _stream;
    private bool _committed;

    public string FinalPath { get; }
    public string PartPath { get; }
    public Stream Stream => _stream;

    private PartFile(string finalPath)
    {
        FinalPath = finalPath;
        PartPath = finalPath + ".part";
        _stream = new FileStream(PartPath, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            Share = FileShare.None,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            // Synchronous handle: on Linux "async" file writes are thread-pool hops that allocate
            // per flush; buffered writes into the page cache are quick enough to do inline.
            BufferSize = 256 * 1024,
        });
    }

    /// <summary>Opens PATH.part, refusing an existing PATH unless <paramref name="overwrite"/>.</summary>
    public static PartFile Create(string path, bool overwrite) => new(CheckTarget(path, overwrite));

    /// <summary>The full path, after refusing a directory, a missing parent or (unless
    /// <paramref name="overwrite"/>) an existing file; lets a caller refuse before any work.</summary>
    public static string CheckTarget(string path, bool overwrite)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new DrException($"{path} is a directory; give a file name for the snapshot", FailureKind.Usage);
        if (File.Exists(full) && !overwrite)
            throw new DrException($"{path} already exists; refusing to overwrite it (use --force to replace it)", FailureKind.Refused);
        var dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir))
            throw new DrException($"directory {dir} does not exist", FailureKind.Usage);
        return full;
    }

    public async Task CommitAsync(CancellationToken ct)
    {
        await _stream.FlushAsync(ct).ConfigureAwait(false);
        _stream.Flush(flushToDisk: true);
        await _stream.DisposeAsync().ConfigureAwait(false);
        File.Move(PartPath, FinalPath, overwrite: true);
        _committed = true;
        Posix.FsyncDirectory(Path.GetDirectoryName(FinalPath)!);
    }

    public async ValueTask DisposeAsync()
    {
        if (_committed)
            return;
        try
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
            // A full disk can fail the final flush too; the part file is deleted below either way.
        }
        File.Delete(PartPath);
    }

    /// <summary>Writes small text (a manifest) with the same part/fsync/rename discipline.</summary>
    public static async Task WriteAllTextAsync(string path, string text, CancellationToken ct)
    {
        await using var part = Create(path, overwrite: true);
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        await part.Stream.WriteAsync(bytes, ct).ConfigureAwait(false);
        await part.CommitAsync(ct).ConfigureAwait(false);
    }
}

/// <summary>The one POSIX call .NET lacks: fsync on a directory, so a rename survives a crash.</summary>
internal static partial class Posix
{
    private const int ReadOnly = 0;

    public static void FsyncDirectory(string dir)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            return;
        var fd = Open(dir, ReadOnly);
        if (fd < 0)
            return; // best effort: the data itself is already fsynced
        try
        {
            _ = Fsync(fd);
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
