using PkiVault.IO;
using System.Runtime.InteropServices;

namespace EtcdDr.Snapshots;

/// <summary>
/// Writes a file the way etcd saves snapshots: into PATH.part with mode 0600, fsync, then rename
/// over PATH and fsync the directory. Until <see cref="PublishAsync"/> nothing exists at PATH, and
/// disposing without publishing deletes the part file, so a failure never leaves a file at PATH
/// that looks whole.
/// </summary>
/// <remarks>
/// PATH.part is always a new file (O_CREAT|O_EXCL): a leftover would keep its old mode (0600 is
/// applied only on creation) and a symlink there would be followed, so either could put a
/// world-readable copy of every Secret somewhere. A leftover is deleted unless another save holds
/// it (our FileShare.None is an advisory flock on Linux, so a live writer is detectable).
/// </remarks>
public sealed class PartFile : IAsyncDisposable
{
    private readonly FileStream _stream;
    // The disk starts on each 8 MiB as it is written, so the final fsync has little left. (A second
    // writer thread, as encrypt/decrypt use, measured no better here: the etcd member sending the
    // snapshot competes for the same cores.)
    private readonly WritebackStream _writer;
    private bool _synced;
    private bool _published;

    public string FinalPath { get; }
    public string PartPath { get; }
    public Stream Stream => _writer;

    private PartFile(string finalPath)
    {
        FinalPath = finalPath;
        PartPath = finalPath + ".part";
        RemoveStalePart(PartPath);
        try
        {
            _stream = new FileStream(PartPath, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                // Synchronous handle: on Linux "async" file writes are thread-pool hops that allocate
                // per flush; buffered writes into the page cache are quick enough to do inline.
                BufferSize = 256 * 1024,
            });
        }
        catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException && Exists(PartPath))
        {
            // Another save created it between our clean-up and our create.
            throw Busy(PartPath, ex);
        }
        _writer = new WritebackStream(_stream);
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
        // A symlink counts as existing even when it dangles: the rename would replace it.
        if (Exists(full) && !overwrite)
            throw new DrException($"{path} already exists; refusing to overwrite it (use --force to replace it)", FailureKind.Refused);
        var dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir))
            throw new DrException($"directory {dir} does not exist", FailureKind.Usage);
        return full;
    }

    private static void RemoveStalePart(string partPath)
    {
        var info = new FileInfo(partPath);
        if (info.LinkTarget is not null)
        {
            // Deletes the link itself; its target is never opened.
            info.Delete();
            return;
        }
        if (Directory.Exists(partPath))
            throw new DrException($"{partPath} is a directory; move it away", FailureKind.Refused);
        if (!info.Exists)
            return;
        FileStream probe;
        try
        {
            probe = new FileStream(partPath, FileMode.Open, FileAccess.Read, FileShare.None);
        }
        catch (FileNotFoundException)
        {
            return; // the other save just finished or gave up
        }
        catch (IOException ex)
        {
            throw Busy(partPath, ex);
        }
        using (probe)
        {
            // Unlinked while we hold the lock, so no other save can take it over in between.
            File.Delete(partPath);
        }
    }

    /// <summary>A file, or a symlink (followed or not, dangling or not), is at <paramref name="path"/>.</summary>
    public static bool Exists(string path) => File.Exists(path) || new FileInfo(path).LinkTarget is not null;

    private static DrException Busy(string partPath, Exception inner) =>
        new($"another snapshot save is writing {partPath}; wait for it to finish (or, if none is running, delete the file)", FailureKind.Refused, inner);

    /// <summary>Flushes and fsyncs the part file and closes it; it stays at PATH.part until
    /// <see cref="PublishAsync"/>, so several files can be made durable before any becomes visible.</summary>
    public async Task SyncAsync(CancellationToken ct)
    {
        if (_synced)
            return;
        ct.ThrowIfCancellationRequested();
        await _writer.FlushAsync(ct).ConfigureAwait(false);
        _stream.Flush(flushToDisk: true);
        await _stream.DisposeAsync().ConfigureAwait(false);
        _synced = true;
    }

    /// <summary>Renames PATH.part over PATH (syncing first if needed) and fsyncs the directory.</summary>
    public async Task PublishAsync(CancellationToken ct)
    {
        await SyncAsync(ct).ConfigureAwait(false);
        File.Move(PartPath, FinalPath, overwrite: true);
        _published = true;
        Posix.FsyncDirectory(Path.GetDirectoryName(FinalPath)!);
    }

    public Task CommitAsync(CancellationToken ct) => PublishAsync(ct);

    public async ValueTask DisposeAsync()
    {
        if (_published)
            return;
        try
        {
            await _writer.DisposeAsync().ConfigureAwait(false); // and with it the file stream
        }
        catch (IOException)
        {
            // A full disk can fail the final flush too; the part file is deleted below either way.
        }
        File.Delete(PartPath);
    }

    /// <summary>Small text (a manifest) in a synced part file, published by the caller.</summary>
    public static async Task<PartFile> WriteSyncedTextAsync(string path, string text, CancellationToken ct)
    {
        var part = Create(path, overwrite: true);
        try
        {
            await part.Stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(text), ct).ConfigureAwait(false);
            await part.SyncAsync(ct).ConfigureAwait(false);
            return part;
        }
        catch
        {
            await part.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Writes small text (a manifest) with the same part/fsync/rename discipline.</summary>
    public static async Task WriteAllTextAsync(string path, string text, CancellationToken ct)
    {
        await using var part = await WriteSyncedTextAsync(path, text, ct).ConfigureAwait(false);
        await part.PublishAsync(ct).ConfigureAwait(false);
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
