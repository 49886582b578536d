using System.Runtime.CompilerServices;

namespace EtcdDr.IntegrationTests.Infrastructure;

/// <summary>
/// A private (0700) scratch directory removed on Dispose. Set ETCD_DR_KEEP_TEST_DIRS=1 to keep them
/// for a post-mortem; their paths are in every startup-failure message.
/// </summary>
public sealed class TempDirectory : IDisposable
{
    private static readonly string Root = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "etcd-dr-tests");

    private TempDirectory(string path) => Path = path;

    public string Path { get; }

    /// <summary>A directory named after the calling test method (or the given purpose).</summary>
    public static TempDirectory Create([CallerMemberName] string purpose = "test")
    {
        Directory.CreateDirectory(Root);
        var safe = new string(purpose.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-').ToArray());
        if (safe.Length > 60)
            safe = safe[..60];
        var path = System.IO.Path.Combine(Root, $"{safe}-{Guid.NewGuid().ToString("N")[..10]}");
        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(path);
        else
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new TempDirectory(path);
    }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>Creates (if needed) and returns a subdirectory.</summary>
    public string CreateSubdirectory(params string[] parts) => Directory.CreateDirectory(Combine(parts)).FullName;

    public void Dispose()
    {
        if (Environment.GetEnvironmentVariable("ETCD_DR_KEEP_TEST_DIRS") == "1")
            return;
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (IOException)
        {
            // A process we killed may still be closing files; one retry is enough in practice.
            Thread.Sleep(200);
            try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
        }
    }
}
