using System.Text.Json;
using EtcdDr.IntegrationTests.Infrastructure;

namespace EtcdDr.IntegrationTests.Stores;

/// <summary>
/// The whole path through the real command line: `snapshot save --to` a store from a real etcd,
/// `snapshot list` shows it verified, `snapshot fetch` brings it back, and etcdctl restores it.
/// The CLI reads credentials from the environment, as in production; both tests live in this one
/// class so they run one after the other and never race over those process-wide variables (the
/// other store tests pass credentials explicitly and read no environment; those that do share
/// <see cref="StoreEnvironmentCollection"/>).
/// </summary>
[Collection(StoreEnvironmentCollection.Name)]
public sealed class StoreSnapshotEndToEndTests(S3rverFixture s3, AzuriteFixture azure)
    : IClassFixture<S3rverFixture>, IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task Save_to_s3_list_fetch_and_restore()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?>
        {
            ["AWS_ACCESS_KEY_ID"] = S3rver.AccessKey,
            ["AWS_SECRET_ACCESS_KEY"] = S3rver.SecretKey,
            ["AWS_SESSION_TOKEN"] = null,
            ["AWS_PROFILE"] = null,
            // Never ask an instance metadata service: traffic stays on loopback.
            ["AWS_EC2_METADATA_DISABLED"] = "true",
        });
        await SaveListFetchRestoreAsync(s3.Server.Url($"e2e-{Guid.NewGuid():N}/etcd"));
    }

    [Fact]
    public async Task Save_to_azure_blob_list_fetch_and_restore()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?>
        {
            ["AZURE_STORAGE_KEY"] = Azurite.AccountKey,
            ["AZURE_STORAGE_CONNECTION_STRING"] = null,
            ["AZURE_STORAGE_SAS_TOKEN"] = null,
        });
        await SaveListFetchRestoreAsync(azure.Server.Url(AzuriteFixture.Container, $"e2e-{Guid.NewGuid():N}/etcd"));
    }

    private static async Task SaveListFetchRestoreAsync(string url)
    {
        await using var cluster = await EtcdCluster.StartAsync(new EtcdClusterOptions { Name = "storee2e" });
        var keys = await cluster.PutKeysAsync(300, "/e2e/", valueSize: 100);

        var save = await CliRunner.RunAsync(["snapshot", "save", .. CliRunner.ConnectionArgs(cluster), "--to", url, "--cluster", "prod", "--output", "json"]);
        Assert.True(save.ExitCode == 0, save.ToString());

        var list = await CliRunner.RunAsync("snapshot", "list", "--from", url, "--cluster", "prod", "--output", "json");
        Assert.True(list.ExitCode == 0, list.ToString());
        using (var json = JsonDocument.Parse(list.Stdout))
        {
            var snapshot = Assert.Single(json.RootElement.GetProperty("snapshots").EnumerateArray());
            Assert.True(snapshot.GetProperty("verified").GetBoolean(), list.Stdout);
            Assert.StartsWith("prod/snapshots/", snapshot.GetProperty("key").GetString());
            Assert.Empty(json.RootElement.GetProperty("incomplete").EnumerateArray());
        }

        using var dir = TempDirectory.Create();
        var path = dir.Combine("fetched.db");
        var fetch = await CliRunner.RunAsync("snapshot", "fetch", "latest", "--from", url, "--cluster", "prod", "-o", path);
        Assert.True(fetch.ExitCode == 0, fetch.ToString());
        Assert.Contains("sha256 ok", fetch.Stdout);

        await using var restored = await SnapshotRestore.RestoreAndStartAsync(path, new EtcdClusterOptions { Name = "storee2e-restored" });
        Assert.Equal(keys.Count, await restored.CountKeysAsync("/e2e/"));
        var sample = keys.Keys.First();
        Assert.Equal(keys[sample], await restored.GetAsync(sample));
    }
}
