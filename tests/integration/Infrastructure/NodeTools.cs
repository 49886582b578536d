namespace EtcdDr.IntegrationTests.Infrastructure;

/// <summary>
/// The storage emulators from npm (s3rver, Azurite), installed by scripts/install-deps.sh into the
/// gitignored .tools/ folder at the repository root, so the tests never depend on a global npm install.
/// ETCD_DR_TOOLS_DIR points elsewhere if needed.
/// </summary>
public static class NodeTools
{
    /// <summary>The versions scripts/install-deps.sh installs (Azurite 3.36+ needs Node 21+; Debian 12 has 18/20).</summary>
    public const string InstallCommand = "bash scripts/install-deps.sh (it runs: npm install --prefix .tools s3rver@3.7.1 azurite@3.35.0)";

    public static string ToolsDirectory =>
        Environment.GetEnvironmentVariable("ETCD_DR_TOOLS_DIR") is { Length: > 0 } overridden
            ? overridden
            : Path.Combine(RepositoryRoot(), ".tools");

    public static string Node => Prerequisites.Require("node", "apt-get install nodejs, or Node.js 20 from nodesource");

    /// <summary>s3rver's script, run as `node --openssl-legacy-provider SCRIPT`: its ListObjectsV2
    /// continuation tokens use DES, which OpenSSL 3 (Node 17+) only offers from the legacy provider.</summary>
    public static string S3rverScript => Path.Combine(Path.GetDirectoryName(Require("s3rver"))!, "..", "s3rver", "bin", "s3rver.js");

    public static string AzuriteBlob => Require("azurite-blob");

    private static string Require(string tool)
    {
        _ = Node;
        var path = Path.Combine(ToolsDirectory, "node_modules", ".bin", tool);
        if (!File.Exists(path))
        {
            throw new PrerequisiteMissingException(
                $"Integration test prerequisite missing: '{tool}' is not installed at {path}. Install it with {InstallCommand}; integration tests do not skip themselves.");
        }
        return path;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EtcdDr.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"no EtcdDr.sln above {AppContext.BaseDirectory}; set ETCD_DR_TOOLS_DIR to the folder holding node_modules/");
    }
}
