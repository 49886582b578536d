namespace EtcdDr.IntegrationTests.Age;

/// <summary>A scratch directory per test, removed afterwards.</summary>
public sealed class AgeTempDirectory : IDisposable
{
    public AgeTempDirectory()
    {
        Path = Directory.CreateTempSubdirectory("etcd-dr-age-").FullName;
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Leave it for the OS temp cleaner rather than fail the test.
        }
    }
}
