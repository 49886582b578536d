using System.Runtime.CompilerServices;
using EtcdDr.Snapshots;

namespace EtcdDr.Storage;

/// <summary>
/// A directory on this machine (file:///var/backups/etcd). Objects are files under the root, keys
/// map to relative paths. Writes go to a hidden temp name in the same directory (mode 0600), are
/// fsynced and renamed, so a crash never leaves a file under a real key.
/// </summary>
public sealed class LocalDirStore(string root) : ISnapshotStore, ITemporaryListing
{
    private readonly string _root = Path.GetFullPath(root);

    public string Description => $"file://{_root}/";

    public async Task WriteAsync(string key, Func<Stream, CancellationToken, Task> writer, CancellationToken ct)
    {
        var path = PathOf(key);
        var dir = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, StoreLayout.TempMarker + Guid.NewGuid().ToString("N")[..12] + "-" + Path.GetFileName(path));
        var committed = false;
        try
        {
            await using (var file = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                BufferSize = 256 * 1024,
            }))
            {
                await writer(file, ct).ConfigureAwait(false);
                await file.FlushAsync(ct).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
            committed = true;
            Posix.FsyncDirectory(dir);
        }
        finally
        {
            if (!committed)
                File.Delete(temp);
        }
    }

    public IAsyncEnumerable<StoreObject> ListAsync(string prefix, CancellationToken ct) => EnumerateAsync(prefix, temporary: false, ct);

    public IAsyncEnumerable<StoreObject> ListTemporaryAsync(string prefix, CancellationToken ct) => EnumerateAsync(prefix, temporary: true, ct);

    private async IAsyncEnumerable<StoreObject> EnumerateAsync(string prefix, bool temporary, [EnumeratorCancellation] CancellationToken ct)
    {
        if (!Directory.Exists(_root))
            throw new DrException($"{Description}: the directory does not exist", FailureKind.Usage);
        // Walk only the deepest directory the prefix names, then filter by the full prefix.
        var slash = prefix.LastIndexOf('/');
        var start = slash < 0 ? _root : Path.Combine(_root, prefix[..slash]);
        if (!Directory.Exists(start))
            yield break;
        foreach (var file in Directory.EnumerateFiles(start, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = false, AttributesToSkip = 0 }))
        {
            ct.ThrowIfCancellationRequested();
            if (Path.GetFileName(file).StartsWith(StoreLayout.TempMarker, StringComparison.Ordinal) != temporary)
                continue;
            var key = Path.GetRelativePath(_root, file).Replace(Path.DirectorySeparatorChar, '/');
            if (!key.StartsWith(prefix, StringComparison.Ordinal))
                continue;
            var info = new FileInfo(file);
            yield return new StoreObject(key, info.Length, info.LastWriteTimeUtc);
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    public Task<Stream> OpenReadAsync(string key, CancellationToken ct)
    {
        var path = PathOf(key);
        if (!File.Exists(path))
            throw new DrException($"{Description}{key}: no such object", FailureKind.Usage);
        return Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan));
    }

    public Task DeleteAsync(string key, CancellationToken ct)
    {
        File.Delete(PathOf(key));
        return Task.CompletedTask;
    }

    /// <summary>Holds no connection: nothing to release.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Maps a key under the root, refusing keys that would climb out of it.</summary>
    private string PathOf(string key)
    {
        var path = Path.GetFullPath(Path.Combine(_root, key));
        if (!path.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new DrException($"key '{key}' points outside {_root}", FailureKind.Usage);
        return path;
    }
}
