using System.Text;
using EtcdDr.Cli;
using EtcdDr.Snapshots;
using EtcdDr.Storage;
using EtcdDr.Testing;

namespace EtcdDr.Tests.Snapshots;

/// <summary>`snapshot prune` and what killed saves leave behind: data without a manifest and hidden temp files.</summary>
public sealed class UnfinishedPruneTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private static readonly RetentionPolicy KeepLast = new(KeepLast: 5);

    private static void PutSnapshot(InMemoryStore store, DateTimeOffset t, long revision)
    {
        var key = StoreLayout.SnapshotKeyFor("prod", t, revision, encrypted: false);
        store.Put(key, new byte[10], t);
        var manifest = new SnapshotManifest
        {
            ClusterId = "1", MemberId = "2", Endpoint = "x", EtcdVersion = "3.4", Revision = revision, RaftIndex = 1, RaftTerm = 1, DbSize = 10,
            FileSize = 10, FileSha256 = "00", SnapshotSize = 10, SnapshotSha256Trailer = "00", CreatedAt = t, ToolVersion = "t",
        };
        store.Put(key + StoreLayout.ManifestSuffix, Encoding.UTF8.GetBytes(manifest.ToJson()), t);
    }

    /// <summary>A verified snapshot, an old and a young manifest-less data object, an old and a young temp file.</summary>
    private static (InMemoryStore Store, FakeClock Clock, string OldData, string YoungData, string OldTemp, string YoungTemp) Store()
    {
        var clock = new FakeClock(Now);
        var store = new InMemoryStore(clock);
        PutSnapshot(store, Now.AddDays(-3), 1);
        var oldData = StoreLayout.SnapshotKeyFor("prod", Now.AddDays(-2), 2, encrypted: false);
        store.Put(oldData, new byte[5], Now.AddDays(-2));
        var youngData = StoreLayout.SnapshotKeyFor("prod", Now.AddMinutes(-5), 3, encrypted: false);
        store.Put(youngData, new byte[5], Now.AddMinutes(-5));
        var oldTemp = $"prod/snapshots/{StoreLayout.TempMarker}0123456789ab-x.db";
        store.Put(oldTemp, new byte[5], Now.AddHours(-25));
        var youngTemp = $"prod/snapshots/{StoreLayout.TempMarker}ba9876543210-y.db";
        store.Put(youngTemp, new byte[5], Now.AddHours(-23));
        return (store, clock, oldData, youngData, oldTemp, youngTemp);
    }

    [Fact]
    public async Task Deletes_unfinished_uploads_older_than_the_safety_age_and_keeps_younger_ones()
    {
        var (store, clock, oldData, youngData, oldTemp, youngTemp) = Store();
        var result = await SnapshotPruner.PruneAsync(store, "prod", KeepLast, dryRun: false, new UnfinishedCleanup(UnfinishedCleanup.DefaultSafetyAge, clock), default);

        Assert.Empty(result.Deleted); // the one verified snapshot is kept
        Assert.Equal([oldTemp, oldData], result.DeletedUnfinished!.Order(StringComparer.Ordinal));
        Assert.Equal([youngTemp, youngData], result.Unfinished!.Kept.Select(o => o.Key).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(oldData, store.Keys);
        Assert.DoesNotContain(oldTemp, store.Keys);
        Assert.Contains(youngData, store.Keys);
        Assert.Contains(youngTemp, store.Keys);
        Assert.Single((await SnapshotCatalog.ReadAsync(store, "prod", default)).Snapshots);

        // A day later the then-young ones are old enough too.
        clock.Advance(TimeSpan.FromDays(1));
        var later = await SnapshotPruner.PruneAsync(store, "prod", KeepLast, dryRun: false, new UnfinishedCleanup(UnfinishedCleanup.DefaultSafetyAge, clock), default);
        Assert.Equal([youngTemp, youngData], later.DeletedUnfinished!.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Dry_run_reports_but_deletes_nothing()
    {
        var (store, clock, oldData, _, oldTemp, _) = Store();
        var before = store.Keys.Count;
        var result = await SnapshotPruner.PruneAsync(store, "prod", KeepLast, dryRun: true, new UnfinishedCleanup(TimeSpan.FromHours(24), clock), default);
        Assert.Equal([oldTemp, oldData], result.Unfinished!.Delete.Select(o => o.Key).Order(StringComparer.Ordinal));
        Assert.Empty(result.DeletedUnfinished!);
        Assert.Equal(before, store.Keys.Count);
    }

    [Fact]
    public async Task Without_cleanup_or_with_an_empty_policy_unfinished_uploads_stay()
    {
        var (store, clock, _, _, _, _) = Store();
        var before = store.Keys.Count;
        var plain = await SnapshotPruner.PruneAsync(store, "prod", KeepLast, dryRun: false, default);
        Assert.Null(plain.Unfinished);
        var empty = await SnapshotPruner.PruneAsync(store, "prod", new RetentionPolicy(), dryRun: false, new UnfinishedCleanup(TimeSpan.Zero, clock), default);
        Assert.Null(empty.Unfinished);
        Assert.Equal(before, store.Keys.Count);
    }

    [Fact]
    public async Task A_doubtful_listing_deletes_no_unfinished_upload_either()
    {
        var (store, clock, _, _, _, _) = Store();
        store.Put(store.Keys.First(k => k.EndsWith(StoreLayout.ManifestSuffix, StringComparison.Ordinal)), Encoding.UTF8.GetBytes("{ not json"));
        var before = store.Keys.Count;
        var ex = await Assert.ThrowsAsync<DrException>(() =>
            SnapshotPruner.PruneAsync(store, "prod", KeepLast, dryRun: false, new UnfinishedCleanup(TimeSpan.Zero, clock), default));
        Assert.Equal(FailureKind.Refused, ex.Kind);
        Assert.Equal(before, store.Keys.Count);
    }

    [Fact]
    public void An_unknown_modification_time_is_never_old_enough()
    {
        var decision = UnfinishedUploads.Decide([new StoreObject("prod/snapshots/x.db", 1, DateTimeOffset.MinValue)], Now, TimeSpan.Zero);
        Assert.Empty(decision.Delete);
        Assert.Single(decision.Kept);
    }

    [Theory]
    [InlineData("24h", 24 * 60)]
    [InlineData("90m", 90)]
    [InlineData("7d", 7 * 24 * 60)]
    [InlineData("1.12:00:00", 36 * 60)]
    public void Durations_read_operator_units(string text, int minutes) => Assert.Equal(TimeSpan.FromMinutes(minutes), Durations.Parse(text));

    [Theory]
    [InlineData("soon")]
    [InlineData("-5h")]
    [InlineData("h")]
    public void Durations_refuse_nonsense(string text) => Assert.Null(Durations.Parse(text));
}
