using System.CommandLine;
using System.Text.Json;
using EtcdDr.Cli;
using EtcdDr.Storage;

namespace EtcdDr.Tests.Cli;

/// <summary>Issue 10: `snapshot list` showed "incomplete": [] while prune would delete temporary files.</summary>
public sealed class ListIncompleteTests
{
    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await EtcdDrCli.RunAsync(EtcdDrCli.Build(stdout, stderr), args, new InvocationConfiguration { Output = stdout, Error = stderr });
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Temporary_files_and_data_without_a_manifest_are_listed_as_incomplete()
    {
        using var dir = new TempDir();
        var snapshots = Path.Combine(dir.Path, "prod", "snapshots");
        Directory.CreateDirectory(snapshots);
        var temp = $"{StoreLayout.TempMarker}0123456789ab-20261206T000000Z-rev5.db";
        await File.WriteAllBytesAsync(Path.Combine(snapshots, temp), new byte[10]);
        await File.WriteAllBytesAsync(Path.Combine(snapshots, "20261206T010000Z-rev6.db"), new byte[10]);

        var json = await RunAsync("snapshot", "list", "--from", "file://" + dir.Path, "--cluster", "prod", "--output", "json");
        var table = await RunAsync("snapshot", "list", "--from", "file://" + dir.Path, "--cluster", "prod", "--output", "table");

        Assert.True(json.Exit == 0, json.Stderr);
        using var doc = JsonDocument.Parse(json.Stdout);
        var keys = doc.RootElement.GetProperty("incomplete").EnumerateArray().Select(e => e.GetProperty("key").GetString()).ToList();
        Assert.Contains($"prod/snapshots/{temp}", keys);
        Assert.Contains("prod/snapshots/20261206T010000Z-rev6.db", keys);
        Assert.Equal(0, doc.RootElement.GetProperty("snapshots").GetArrayLength());
        Assert.True(table.Exit == 0, table.Stderr);
        Assert.Contains(temp, table.Stdout);
    }
}
