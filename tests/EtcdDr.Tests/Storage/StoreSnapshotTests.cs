using EtcdDr.Tests.Fakes;
using System.Text;
using EtcdDr.Etcd;
using EtcdDr.Snapshots;
using EtcdDr.Storage;
using EtcdDr.Testing;

namespace EtcdDr.Tests.Storage;

/// <summary>Snapshots into stores: one etcd stream, several copies, manifests last, partial failure.</summary>
public class StoreSnapshotTests
{
    private static async Task<SnapshotSaveResult> Save(FakeEtcdServer server, params ISnapshotDestination[] destinations)
    {
        using var client = new EtcdClient(new EtcdConnectionOptions([server.Endpoint]));
        return await new SnapshotSaver(client, TimeProvider.System).SaveAsync(new SnapshotSaveRequest(destinations), null, TextWriter.Null, default);
    }

    [Fact]
    public async Task One_stream_reaches_every_destination_with_its_manifest()
    {
        await using var server = await FakeEtcdServer.StartAsync();
        using var dir = new TempDir();
        var a = new InMemoryStore();
        var b = new InMemoryStore();
        var result = await Save(server, new LocalFileDestination(dir.File("s.db"), false), new StoreDestination(a, "prod"), new StoreDestination(b, "prod"));

        Assert.False(result.Partial);
        Assert.Equal(1, server.SnapshotCalls);
        Assert.Equal(server.ExpectedFile(), await File.ReadAllBytesAsync(dir.File("s.db")));
        foreach (var store in new[] { a, b })
        {
            var key = Assert.Single(store.Keys, k => StoreLayout.ParseSnapshotKey(k) is not null);
            Assert.Equal(42, StoreLayout.ParseSnapshotKey(key)!.Revision);
            Assert.Equal(server.ExpectedFile(), store.Get(key));
            var manifest = SnapshotManifest.Parse(Encoding.UTF8.GetString(store.Get(key + ".manifest.json")), "m");
            Assert.Equal(server.ExpectedFile().Length, manifest.FileSize);
        }
    }

    [Fact]
    public async Task A_destination_that_drops_mid_upload_fails_alone_and_leaves_nothing_listed()
    {
        await using var server = await FakeEtcdServer.StartAsync();
        var good = new InMemoryStore();
        var dropping = new InMemoryStore { FailWritesAfterBytes = 40_000 };
        var result = await Save(server, new StoreDestination(good, "prod"), new StoreDestination(dropping, "prod"));

        Assert.True(result.Partial);
        Assert.Contains("connection reset", result.Destinations.Single(d => !d.Succeeded).Error);
        Assert.Empty(dropping.Keys);
        var catalog = await SnapshotCatalog.ReadAsync(good, "prod", default);
        Assert.True(Assert.Single(catalog.Snapshots).Verified);
    }

    [Fact]
    public async Task A_corrupt_stream_reaches_no_store()
    {
        await using var server = await FakeEtcdServer.StartAsync();
        server.Snapshot = SnapshotBehaviour.FlipBitInBlob;
        var store = new InMemoryStore();
        await Assert.ThrowsAsync<DrException>(() => Save(server, new StoreDestination(store, "prod")));
        Assert.Empty(store.Keys);
    }

    [Fact]
    public async Task Every_destination_failing_is_an_error_not_a_partial_success()
    {
        await using var server = await FakeEtcdServer.StartAsync();
        var ex = await Assert.ThrowsAsync<DrException>(() => Save(server, new StoreDestination(new InMemoryStore { FailWritesAfterBytes = 10 }, "prod")));
        Assert.Contains("no destination stored it", ex.Message);
    }

    [Fact]
    public void Only_when_no_destination_can_be_opened_is_the_save_refused_up_front()
    {
        var missing = new DrException("no Azure Storage credentials for account 'a'", FailureKind.Usage);
        var unavailable = StoreDestination.Unavailable("azblob://a/c/", missing, "prod");
        StoreDestination.RequireOneUsable([unavailable, new StoreDestination(new InMemoryStore(), "prod")]);
        StoreDestination.RequireOneUsable([unavailable, new LocalFileDestination("/nonexistent/x.db", false)]);
        var ex = Assert.Throws<DrException>(() => StoreDestination.RequireOneUsable([unavailable]));
        Assert.Equal(FailureKind.Usage, ex.Kind);
        Assert.Equal("no destination can be opened: azblob://a/c/: no Azure Storage credentials for account 'a'", ex.Message);
    }

    [Fact]
    public async Task Data_without_a_manifest_is_an_incomplete_upload_not_a_snapshot()
    {
        var store = new InMemoryStore();
        store.Put(StoreLayout.SnapshotKeyFor("prod", DateTimeOffset.UtcNow, 7, false), new byte[100]);
        var catalog = await SnapshotCatalog.ReadAsync(store, "prod", default);
        Assert.Empty(catalog.Snapshots);
        Assert.Single(catalog.Incomplete);
    }
}

public class PruneTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static InMemoryStore StoreWithDailySnapshots(int days)
    {
        var store = new InMemoryStore();
        for (var d = 0; d < days; d++)
        {
            var t = Start.AddDays(d);
            var key = StoreLayout.SnapshotKeyFor("prod", t, d + 1, encrypted: true);
            store.Put(key, new byte[10]);
            var manifest = new SnapshotManifest
            {
                ClusterId = "1", MemberId = "2", Endpoint = "x", EtcdVersion = "3.4", Revision = d + 1, RaftIndex = 1, RaftTerm = 1, DbSize = 10,
                FileSize = 10, FileSha256 = "00", SnapshotSize = 10, SnapshotSha256Trailer = "00", CreatedAt = t, ToolVersion = "t", Encrypted = true,
            };
            store.Put(key + StoreLayout.ManifestSuffix, Encoding.UTF8.GetBytes(manifest.ToJson()));
        }
        return store;
    }

    [Fact]
    public async Task Deletes_what_the_policy_drops_manifest_and_data()
    {
        var store = StoreWithDailySnapshots(10);
        var result = await SnapshotPruner.PruneAsync(store, "prod", new RetentionPolicy(KeepLast: 3), dryRun: false, default);
        Assert.Equal(7, result.Deleted.Count);
        Assert.Equal(6, store.Keys.Count); // 3 snapshots x (data + manifest)
        Assert.Equal([10L, 9, 8], (await SnapshotCatalog.ReadAsync(store, "prod", default)).Snapshots.Select(s => s.Revision));
    }

    [Fact]
    public async Task Dry_run_deletes_nothing()
    {
        var store = StoreWithDailySnapshots(10);
        var result = await SnapshotPruner.PruneAsync(store, "prod", new RetentionPolicy(KeepLast: 1), dryRun: true, default);
        Assert.Equal(9, result.Decision.Delete.Count);
        Assert.Equal(20, store.Keys.Count);
    }

    [Fact]
    public async Task An_unreadable_manifest_stops_the_prune()
    {
        var store = StoreWithDailySnapshots(10);
        store.Put(store.Keys.First(k => k.EndsWith(StoreLayout.ManifestSuffix, StringComparison.Ordinal)), Encoding.UTF8.GetBytes("{ not json"));
        var ex = await Assert.ThrowsAsync<DrException>(() => SnapshotPruner.PruneAsync(store, "prod", new RetentionPolicy(KeepLast: 1), false, default));
        Assert.Equal(FailureKind.Refused, ex.Kind);
        Assert.Contains("looks incomplete", ex.Message);
        Assert.Equal(20, store.Keys.Count);
    }

    [Fact]
    public async Task A_broken_listing_stops_the_prune()
    {
        var store = StoreWithDailySnapshots(10);
        store.FailListing = true;
        var ex = await Assert.ThrowsAsync<DrException>(() => SnapshotPruner.PruneAsync(store, "prod", new RetentionPolicy(KeepLast: 1), false, default));
        Assert.Contains("the listing failed, so nothing was deleted", ex.Message);
        Assert.Equal(20, store.Keys.Count);
    }
}
