using EtcdDr.Tests.Fakes;
using System.Security.Cryptography;
using EtcdDr.Schedule;
using EtcdDr.Snapshots;
using EtcdDr.Storage;
using EtcdDr.Testing;

namespace EtcdDr.Tests.Schedule;

/// <summary>Save then prune, as the on-master run does it, through the real destination and store code.</summary>
public class PruneAfterSaveTests
{
    private static SnapshotManifest Manifest(DateTimeOffset at, long revision, byte[] data) => new()
    {
        ClusterId = "1", MemberId = "2", Endpoint = "x", EtcdVersion = "3.4", Revision = revision, RaftIndex = 1, RaftTerm = 1, DbSize = data.Length,
        FileSize = data.Length, FileSha256 = Convert.ToHexStringLower(SHA256.HashData(data)), SnapshotSize = data.Length, SnapshotSha256Trailer = "00",
        CreatedAt = at, ToolVersion = "t",
    };

    /// <summary>One copy through StoreDestination's target (pipe, upload, manifest last), as the saver drives it.</summary>
    private static async Task<SnapshotSaveResult> SaveAsync(IReadOnlyList<ISnapshotDestination> destinations, DateTimeOffset at, long revision)
    {
        var data = new byte[64];
        BitConverter.TryWriteBytes(data, revision);
        var manifest = Manifest(at, revision, data);
        var outcomes = new List<DestinationOutcome>();
        foreach (var destination in destinations)
        {
            await using var target = destination.Open(at, revision, encrypted: false);
            await target.Stream.WriteAsync(data);
            try
            {
                await target.CommitAsync(manifest, default);
                outcomes.Add(new DestinationOutcome(destination.Description, target.Location, null));
            }
            catch (Exception ex) when (ex is DrException or IOException)
            {
                outcomes.Add(new DestinationOutcome(destination.Description, null, ex.Message));
            }
        }
        return new SnapshotSaveResult(manifest, outcomes, []);
    }

    [Fact]
    public async Task A_year_of_hourly_runs_pruned_after_each_save_leaves_exactly_the_policys_snapshots()
    {
        var start = new DateTimeOffset(2025, 1, 1, 0, 30, 0, TimeSpan.Zero);
        var clock = new FakeClock(start);
        var store = new InMemoryStore(clock);
        ISnapshotDestination[] destinations = [new StoreDestination(store, "prod")];
        var policy = new RetentionPolicy(KeepLast: 3, KeepHourly: 24, KeepDaily: 7, KeepWeekly: 4, KeepMonthly: 12);

        var runs = 0;
        var most = 0;
        for (; clock.GetUtcNow().Year == 2025; clock.Advance(TimeSpan.FromHours(1)))
        {
            var save = await SaveAsync(destinations, clock.GetUtcNow(), ++runs);
            Assert.Empty(await PruneAfterSave.RunAsync(destinations, save, "prod", policy, TextWriter.Null, default));
            most = Math.Max(most, store.Keys.Count / 2);
        }
        Assert.Equal(8760, runs);

        DateTimeOffset At(int month, int day, int hour) => new(2025, month, day, hour, 30, 0, TimeSpan.Zero);
        var expected = new HashSet<DateTimeOffset>();
        for (var h = 0; h < 24; h++)
            expected.Add(At(12, 31, h)); // hourly: the last day (covers keepLast)
        for (var d = 25; d <= 30; d++)
            expected.Add(At(12, d, 23)); // daily: the last of Dec 25..30
        expected.Add(At(12, 21, 23)); // weekly: ISO weeks ending Dec 21 and 14 (W52 and W01 are above)
        expected.Add(At(12, 14, 23));
        int[] lastDay = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30];
        for (var m = 1; m <= 11; m++)
            expected.Add(At(m, lastDay[m - 1], 23)); // monthly: the last of Jan..Nov

        var catalog = await SnapshotCatalog.ReadAsync(store, "prod", default);
        Assert.Empty(catalog.Problems);
        Assert.Empty(catalog.Incomplete);
        Assert.Equal(expected.OrderByDescending(t => t), catalog.Snapshots.Select(s => s.CreatedAt));
        Assert.All(catalog.Snapshots, s => Assert.True(s.Verified));
        Assert.Equal(2 * 43, store.Keys.Count); // data + manifest, nothing else left behind
        // Pruning as it goes, the store never held much more than the policy allows.
        Assert.InRange(most, 43, 24 + 7 + 4 + 12 + 3);
    }

    [Fact]
    public async Task Only_the_store_that_got_the_copy_is_pruned_even_when_two_describe_alike()
    {
        // Both describe themselves as memory://, as two S3 endpoints with one bucket/prefix once did.
        var good = new InMemoryStore();
        var failing = new InMemoryStore();
        var start = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        ISnapshotDestination[] both = [new StoreDestination(good, "prod"), new StoreDestination(failing, "prod")];
        for (var i = 0; i < 5; i++)
            await SaveAsync(both, start.AddHours(i), i + 1);
        Assert.Equal(good.Description, failing.Description);

        failing.FailWritesAfterBytes = 0;
        var save = await SaveAsync(both, start.AddHours(5), 6);
        Assert.True(save.Destinations[0].Succeeded);
        Assert.False(save.Destinations[1].Succeeded);

        Assert.Empty(await PruneAfterSave.RunAsync(both, save, "prod", new RetentionPolicy(KeepLast: 2), TextWriter.Null, default));
        Assert.Equal([6L, 5], (await SnapshotCatalog.ReadAsync(good, "prod", default)).Snapshots.Select(s => s.Revision));
        Assert.Equal(5, (await SnapshotCatalog.ReadAsync(failing, "prod", default)).Snapshots.Count);
    }

    [Fact]
    public async Task A_destination_whose_store_could_not_open_fails_alone_and_is_not_pruned()
    {
        await using var server = await FakeEtcdServer.StartAsync();
        var good = new InMemoryStore();
        var unavailable = StoreDestination.Unavailable("azblob://acct/c/", new DrException("no Azure Storage credentials for account 'acct'", FailureKind.Usage), "prod");
        using var client = new EtcdDr.Etcd.EtcdClient(new EtcdDr.Etcd.EtcdConnectionOptions([server.Endpoint]));
        ISnapshotDestination[] destinations = [new StoreDestination(good, "prod"), unavailable];
        var save = await new SnapshotSaver(client, TimeProvider.System).SaveAsync(new SnapshotSaveRequest(destinations), null, TextWriter.Null, default);

        Assert.True(save.Partial);
        Assert.Equal(1, server.SnapshotCalls);
        var failed = save.Destinations.Single(d => !d.Succeeded);
        Assert.Equal("azblob://acct/c/", failed.Destination);
        Assert.Contains("cannot open the store: no Azure Storage credentials", failed.Error);
        Assert.True(Assert.Single((await SnapshotCatalog.ReadAsync(good, "prod", default)).Snapshots).Verified);
        Assert.Null(unavailable.Store);
        Assert.Empty(await PruneAfterSave.RunAsync(destinations, save, "prod", new RetentionPolicy(KeepLast: 1), TextWriter.Null, default));
    }
}
