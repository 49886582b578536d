using System.Text;
using System.Text.Json;
using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Snapshots;
using EtcdDr.Storage;

namespace EtcdDr.IntegrationTests.Stores;

/// <summary>
/// `snapshot list` through the command line exits 3 when the listing cannot be trusted: a manifest
/// that does not parse, or one whose size disagrees with the object beside it.
/// </summary>
public sealed class SnapshotListProblemsTests
{
    private static readonly DateTimeOffset At = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static async Task PutAsync(LocalDirStore store, string key, byte[] bytes) =>
        await store.WriteAsync(key, (s, ct) => s.WriteAsync(bytes, ct).AsTask(), default);

    private static async Task<string> PutSnapshotAsync(LocalDirStore store, DateTimeOffset at, long revision, int size, int manifestSize)
    {
        var key = StoreLayout.SnapshotKeyFor("prod", at, revision, encrypted: false);
        await PutAsync(store, key, new byte[size]);
        var manifest = new SnapshotManifest
        {
            ClusterId = "1", MemberId = "2", Endpoint = "x", EtcdVersion = "3.4", Revision = revision, RaftIndex = 1, RaftTerm = 1, DbSize = size,
            FileSize = manifestSize, FileSha256 = "00", SnapshotSize = size, SnapshotSha256Trailer = "00", CreatedAt = at, ToolVersion = "t",
        };
        await PutAsync(store, key + StoreLayout.ManifestSuffix, Encoding.UTF8.GetBytes(manifest.ToJson()));
        return key;
    }

    private static Task<CliRunner.CliResult> ListAsync(string dir, params string[] extra) =>
        CliRunner.RunAsync(["snapshot", "list", "--from", "file://" + dir, "--cluster", "prod", .. extra]);

    [Fact]
    public async Task A_sound_listing_exits_0()
    {
        using var dir = TempDirectory.Create();
        await using var store = new LocalDirStore(dir.Path);
        await PutSnapshotAsync(store, At, 1, 544, 544);
        var list = await ListAsync(dir.Path, "--output", "json");
        Assert.True(list.ExitCode == 0, list.ToString());
    }

    [Fact]
    public async Task A_size_that_disagrees_with_the_manifest_exits_3_and_says_which()
    {
        using var dir = TempDirectory.Create();
        await using var store = new LocalDirStore(dir.Path);
        await PutSnapshotAsync(store, At, 1, 544, 544);
        var truncated = await PutSnapshotAsync(store, At.AddHours(1), 2, 500, 544);

        var list = await ListAsync(dir.Path, "--output", "json");
        Assert.True(list.ExitCode == 3, list.ToString());
        using var json = JsonDocument.Parse(list.Stdout);
        var problem = Assert.Single(json.RootElement.GetProperty("problems").EnumerateArray()).GetString();
        Assert.Contains(truncated, problem);
        Assert.Contains("500 bytes stored, the manifest says 544", problem);
        var entry = json.RootElement.GetProperty("snapshots").EnumerateArray().Single(s => s.GetProperty("key").GetString() == truncated);
        Assert.False(entry.GetProperty("verified").GetBoolean());

        var table = await ListAsync(dir.Path, "--output", "table");
        Assert.True(table.ExitCode == 3, table.ToString());
        Assert.Contains("problem:", table.Stdout);
    }

    [Fact]
    public async Task A_manifest_that_does_not_parse_exits_3()
    {
        using var dir = TempDirectory.Create();
        await using var store = new LocalDirStore(dir.Path);
        var key = await PutSnapshotAsync(store, At, 1, 544, 544);
        await PutAsync(store, key + StoreLayout.ManifestSuffix, Encoding.UTF8.GetBytes("{ \"fileSize\": "));

        var list = await ListAsync(dir.Path, "--output", "json");
        Assert.True(list.ExitCode == 3, list.ToString());
        using var json = JsonDocument.Parse(list.Stdout);
        Assert.Contains(key + StoreLayout.ManifestSuffix, Assert.Single(json.RootElement.GetProperty("problems").EnumerateArray()).GetString());
    }
}
