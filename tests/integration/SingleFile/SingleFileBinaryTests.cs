using EtcdDr.IntegrationTests.Infrastructure;

namespace EtcdDr.IntegrationTests.SingleFile;

/// <summary>
/// The self-contained single-file build runs where no .NET is installed: started with an empty
/// environment (no PATH to dotnet, no DOTNET_ROOT), it saves and verifies a real TLS snapshot.
/// </summary>
public sealed class SingleFileBinaryTests
{
    [Fact]
    public async Task Saves_and_verifies_a_snapshot_with_no_dotnet_in_the_environment()
    {
        var binary = RepositoryPaths.SingleFileBinary;
        await using var cluster = await EtcdCluster.StartAsync(new EtcdClusterOptions { Name = "single", Tls = true });
        await cluster.PutKeysAsync(50, "/single/");
        using var dir = TempDirectory.Create();
        var path = dir.Combine("snap.db");
        var bare = new ProcessRunOptions
        {
            Environment = new Dictionary<string, string?> { ["PATH"] = "/nonexistent", ["HOME"] = dir.Path },
            RemoveEnvironmentPrefixes = ["DOTNET", "ETCDCTL", "NUGET", "MSBUILD"],
            Timeout = TimeSpan.FromSeconds(60),
        };

        var save = await ProcessRunner.RunAsync(binary, ["snapshot", "save", .. CliRunner.ConnectionArgs(cluster), "-o", path, "--output", "table"], bare);
        Assert.True(save.ExitCode == 0, save.ToString());
        var verify = await ProcessRunner.RunAsync(binary, ["snapshot", "verify", path, "--output", "table"], bare);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("valid", verify.Stdout);
        await using var restored = await SnapshotRestore.RestoreAndStartAsync(path);
        Assert.Equal(50, await restored.CountKeysAsync("/single/"));
    }
}
