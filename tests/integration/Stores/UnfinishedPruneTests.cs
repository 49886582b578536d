using System.Text.Json;
using EtcdDr.IntegrationTests.Infrastructure;

namespace EtcdDr.IntegrationTests.Stores;

/// <summary>
/// `snapshot prune` on a real directory after a real save: a leftover hidden temp file and a data
/// file without manifest, both last written two days ago, are deleted; a temp file written a minute
/// ago (a save that may still run) and the verified snapshot stay; --dry-run deletes nothing.
/// </summary>
public sealed class UnfinishedPruneTests(SingleMemberClusterFixture etcd) : IClassFixture<SingleMemberClusterFixture>
{
    [Fact]
    public async Task Prune_deletes_old_unfinished_uploads_and_keeps_young_ones()
    {
        using var dir = TempDirectory.Create();
        var root = dir.Combine("backups");
        var url = "file://" + root;
        var save = await CliRunner.RunAsync(["snapshot", "save", .. CliRunner.ConnectionArgs(etcd.Cluster), "--cluster", "prod", "--to", url]);
        Assert.True(save.ExitCode == 0, save.ToString());
        var folder = Path.Combine(root, "prod", "snapshots");
        var oldTemp = Path.Combine(folder, ".etcd-dr-tmp-0123456789ab-20261101T000000Z-rev5.db");
        var oldData = Path.Combine(folder, "20261101T000000Z-rev6.db");
        var youngTemp = Path.Combine(folder, ".etcd-dr-tmp-ba9876543210-20261101T000000Z-rev7.db");
        foreach (var file in new[] { oldTemp, oldData, youngTemp })
            File.WriteAllBytes(file, new byte[100]);
        foreach (var file in new[] { oldTemp, oldData })
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddDays(-2));
        File.SetLastWriteTimeUtc(youngTemp, DateTime.UtcNow.AddMinutes(-1));

        var dry = await CliRunner.RunAsync("snapshot", "prune", "--from", url, "--cluster", "prod", "--keep-last", "3", "--dry-run", "--output", "table");
        Assert.True(dry.ExitCode == 0, dry.ToString());
        Assert.Contains("would delete unfinished upload prod/snapshots/20261101T000000Z-rev6.db", dry.Stdout);
        Assert.Contains("unfinished uploads: 1 kept, 2 would be deleted (dry run)", dry.Stdout);
        Assert.True(File.Exists(oldTemp) && File.Exists(oldData));

        var prune = await CliRunner.RunAsync("snapshot", "prune", "--from", url, "--cluster", "prod", "--keep-last", "3", "--output", "json");
        Assert.True(prune.ExitCode == 0, prune.ToString());
        using (var json = JsonDocument.Parse(prune.Stdout))
        {
            var unfinished = json.RootElement.GetProperty("unfinished");
            Assert.Equal(2, unfinished.GetProperty("deleted").GetArrayLength());
            Assert.Equal(1, unfinished.GetProperty("keptTooYoung").GetArrayLength());
        }
        Assert.False(File.Exists(oldTemp));
        Assert.False(File.Exists(oldData));
        Assert.True(File.Exists(youngTemp));

        var list = await CliRunner.RunAsync("snapshot", "list", "--from", url, "--cluster", "prod", "--output", "json");
        using (var json = JsonDocument.Parse(list.Stdout))
        {
            var snapshot = Assert.Single(json.RootElement.GetProperty("snapshots").EnumerateArray());
            Assert.True(snapshot.GetProperty("verified").GetBoolean());
        }

        // A short safety age reaches the young one too.
        var eager = await CliRunner.RunAsync("snapshot", "prune", "--from", url, "--cluster", "prod", "--keep-last", "3", "--unfinished-older-than", "30s");
        Assert.True(eager.ExitCode == 0, eager.ToString());
        Assert.False(File.Exists(youngTemp));
        var bad = await CliRunner.RunAsync("snapshot", "prune", "--from", url, "--cluster", "prod", "--keep-last", "3", "--unfinished-older-than", "soon");
        // System.CommandLine's own parse-error exit (1 here), not a run.
        Assert.NotEqual(0, bad.ExitCode);
    }
}
