namespace EtcdDr.Restore;

/// <summary>
/// One restore of a cluster at a time: an exclusive lock file beside the journals. The kernel drops the
/// lock (flock) when the process dies, so a killed run never blocks its own resume.
/// </summary>
public sealed class RestoreLock : IDisposable
{
    private readonly FileStream _handle;

    private RestoreLock(FileStream handle) => _handle = handle;

    public static RestoreLock Acquire(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        try
        {
            return new RestoreLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException ex)
        {
            throw new DrException($"another restore of this cluster is running (it holds {path}); wait for it, or see `etcd-dr restore status`", FailureKind.Busy, ex);
        }
    }

    public void Dispose() => _handle.Dispose();
}
