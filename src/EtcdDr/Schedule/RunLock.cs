namespace EtcdDr.Schedule;

/// <summary>
/// An exclusive lock on a file so that overlapping timer runs on one master wait or skip. .NET takes
/// an advisory flock for FileShare.None on Linux, which the kernel releases if the process dies, so
/// a crashed run never leaves a stale lock behind.
/// </summary>
public sealed class RunLock : IDisposable
{
    private readonly FileStream _handle;

    private RunLock(FileStream handle) => _handle = handle;

    /// <summary>The lock, or null if another run still holds it after <paramref name="wait"/>.</summary>
    public static async Task<RunLock?> TryAcquireAsync(string path, TimeSpan wait, TimeProvider time, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var deadline = time.GetUtcNow() + wait;
        while (true)
        {
            try
            {
                return new RunLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (time.GetUtcNow() < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), time, ct).ConfigureAwait(false);
            }
            catch (IOException)
            {
                return null;
            }
        }
    }

    public void Dispose() => _handle.Dispose();
}
