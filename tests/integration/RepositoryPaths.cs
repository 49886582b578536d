namespace EtcdDr.IntegrationTests;

/// <summary>Paths in the checkout the tests run from.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The single-file binary scripts/publish.sh builds; scripts/test.sh builds it first.</summary>
    public static string SingleFileBinary
    {
        get
        {
            var path = Path.Combine(Root, "out", "linux-x64", "etcd-dr");
            return File.Exists(path) ? path
                : throw new InvalidOperationException($"{path} is missing: run `bash scripts/publish.sh` (scripts/test.sh does it before the tests)");
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EtcdDr.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("cannot find EtcdDr.sln above " + AppContext.BaseDirectory);
    }
}
