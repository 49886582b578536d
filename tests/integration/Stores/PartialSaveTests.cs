using System.Security.Cryptography;
using System.Text.Json;
using EtcdDr.IntegrationTests.Infrastructure;

namespace EtcdDr.IntegrationTests.Stores;

/// <summary>
/// `snapshot save --to GOOD --to BAD` through the real command line against a real etcd: the bad
/// destination (no credentials, a wrong key, a bucket that does not exist, a path that cannot be a
/// directory) fails alone, exit 6, and the good one lists the snapshot as verified.
/// </summary>
[Collection(StoreEnvironmentCollection.Name)]
public sealed class PartialSaveTests(S3rverFixture s3, AzuriteFixture azure, SingleMemberClusterFixture etcd)
    : IClassFixture<S3rverFixture>, IClassFixture<AzuriteFixture>, IClassFixture<SingleMemberClusterFixture>
{
    private static readonly Dictionary<string, string?> S3Credentials = new()
    {
        ["AWS_ACCESS_KEY_ID"] = S3rver.AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = S3rver.SecretKey,
        ["AWS_SESSION_TOKEN"] = null,
        ["AWS_PROFILE"] = null,
        // Never ask an instance metadata service: traffic stays on loopback.
        ["AWS_EC2_METADATA_DISABLED"] = "true",
    };

    private static EnvironmentScope Environment(string? azureKey) => new(new Dictionary<string, string?>(S3Credentials)
    {
        ["AZURE_STORAGE_KEY"] = azureKey,
        ["AZURE_STORAGE_CONNECTION_STRING"] = null,
        ["AZURE_STORAGE_SAS_TOKEN"] = null,
    });

    private string S3Url() => s3.Server.Url($"partial-{Guid.NewGuid():N}");

    private string AzureUrl() => azure.Server.Url(AzuriteFixture.Container, $"partial-{Guid.NewGuid():N}");

    private Task<CliRunner.CliResult> SaveAsync(params string[] destinations) =>
        CliRunner.RunAsync([
            "snapshot", "save", .. CliRunner.ConnectionArgs(etcd.Cluster), "--cluster", "prod", "--output", "json",
            .. destinations.SelectMany(d => new[] { "--to", d }),
        ]);

    /// <summary>What `snapshot list` shows: its exit code and the verified snapshots.</summary>
    private static async Task<(int ExitCode, int Verified, int All)> ListAsync(string url)
    {
        var list = await CliRunner.RunAsync("snapshot", "list", "--from", url, "--cluster", "prod", "--output", "json");
        if (list.ExitCode != 0)
            return (list.ExitCode, 0, 0);
        using var json = JsonDocument.Parse(list.Stdout);
        var snapshots = json.RootElement.GetProperty("snapshots").EnumerateArray().ToList();
        return (0, snapshots.Count(s => s.GetProperty("verified").GetBoolean()), snapshots.Count);
    }

    private static void AssertPartial(CliRunner.CliResult save, string failedDestination, string why)
    {
        Assert.True(save.ExitCode == 6, save.ToString());
        using var json = JsonDocument.Parse(save.Stdout);
        var outcomes = json.RootElement.GetProperty("destinations").EnumerateArray().ToList();
        Assert.Equal(2, outcomes.Count);
        // The JSON leaves out null properties: only a failed destination has an error.
        var failed = Assert.Single(outcomes, o => o.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String);
        Assert.StartsWith(failedDestination, failed.GetProperty("destination").GetString());
        Assert.Contains(why, failed.GetProperty("error").GetString());
        Assert.Contains(why, save.Stderr);
    }

    [Fact]
    public async Task An_azure_destination_without_credentials_fails_alone()
    {
        var good = S3Url();
        var bad = AzureUrl();
        using (Environment(azureKey: null))
        {
            var save = await SaveAsync(good, bad);
            AssertPartial(save, bad[..bad.IndexOf('?', StringComparison.Ordinal)], "no Azure Storage credentials");
            Assert.Equal((0, 1, 1), await ListAsync(good));
        }
        using (Environment(Azurite.AccountKey))
            Assert.Equal((0, 0, 0), await ListAsync(bad)); // readable now, and it holds nothing
    }

    [Fact]
    public async Task On_a_master_an_azure_destination_without_credentials_fails_alone()
    {
        using var dir = TempDirectory.Create();
        var good = dir.Combine("backups");
        var bad = AzureUrl();
        var metrics = dir.Combine("metrics", "etcd_dr.prom");
        File.WriteAllText(dir.Combine("config.yaml"), $"""
            cluster: prod
            destinations: [ "{bad}", "file://{good}" ]
            lock: {"{"} file: {dir.Combine("snapshot.lock")} {"}"}
            metrics: {"{"} textfile: {metrics} {"}"}
            etcd: {"{"} endpoints: [ "{etcd.Cluster.Endpoints[0]}" ] {"}"}
            """);
        using (Environment(azureKey: null))
        {
            var run = await CliRunner.RunAsync("snapshot", "save", "--config", dir.Combine("config.yaml"));
            Assert.True(run.ExitCode == 6, run.ToString());
            Assert.Contains("no Azure Storage credentials", run.Stderr);
            Assert.Equal((0, 1, 1), await ListAsync("file://" + good));
        }
        var values = EtcdDr.Schedule.TextfileMetrics.Read(File.ReadAllText(metrics));
        Assert.Equal(1, values["failures_total"]);
        Assert.True(values["last_success_timestamp_seconds"] > 0);
        using (Environment(Azurite.AccountKey))
            Assert.Equal((0, 0, 0), await ListAsync(bad));
    }

    [Fact]
    public async Task With_no_usable_destination_at_all_nothing_is_streamed_and_the_exit_is_2()
    {
        using (Environment(azureKey: null))
        {
            var save = await SaveAsync(AzureUrl());
            Assert.True(save.ExitCode == 2, save.ToString());
            Assert.Contains("no destination can be opened", save.Stderr);
            Assert.Contains("AZURE_STORAGE_KEY", save.Stderr);
            Assert.Empty(save.Stdout);
        }
    }

    [Fact]
    public async Task An_azure_destination_with_a_wrong_key_fails_alone()
    {
        using var dir = TempDirectory.Create();
        var good = "file://" + dir.Combine("backups");
        var bad = AzureUrl();
        using (Environment(Convert.ToBase64String(RandomNumberGenerator.GetBytes(64))))
        {
            var save = await SaveAsync(bad, good);
            AssertPartial(save, bad[..bad.IndexOf('?', StringComparison.Ordinal)], "403");
            Assert.Equal((0, 1, 1), await ListAsync(good));
        }
        using (Environment(Azurite.AccountKey))
            Assert.Equal((0, 0, 0), await ListAsync(bad));
    }

    [Fact]
    public async Task An_s3_bucket_that_does_not_exist_fails_alone()
    {
        using var dir = TempDirectory.Create();
        var good = "file://" + dir.Combine("backups");
        var bad = S3Url().Replace($"s3://{s3.Server.Bucket}/", "s3://no-such-bucket/", StringComparison.Ordinal);
        using (Environment(azureKey: null))
        {
            var save = await SaveAsync(good, bad);
            // A custom endpoint's store describes itself by where its objects are.
            AssertPartial(save, $"{s3.Server.Endpoint}no-such-bucket/partial-", "bucket 'no-such-bucket' does not exist");
            Assert.Equal((0, 1, 1), await ListAsync(good));
            Assert.NotEqual(0, (await ListAsync(bad)).ExitCode);
        }
    }

    [Fact]
    public async Task A_local_directory_that_cannot_be_made_fails_alone()
    {
        // Root ignores permission bits, so the bad directory sits below a regular file instead.
        using var dir = TempDirectory.Create();
        File.WriteAllText(dir.Combine("not-a-dir"), "x");
        var bad = "file://" + dir.Combine("not-a-dir", "backups");
        var good = S3Url();
        using (Environment(azureKey: null))
        {
            var save = await SaveAsync(bad, good);
            Assert.True(save.ExitCode == 6, save.ToString());
            Assert.Contains(dir.Combine("not-a-dir"), save.Stderr);
            Assert.Equal((0, 1, 1), await ListAsync(good));
        }
        Assert.False(Directory.Exists(dir.Combine("not-a-dir", "backups")));
    }
}
