using EtcdDr.Storage;

namespace EtcdDr.Snapshots;

/// <summary>Prune's cleanup of unfinished uploads: only those last touched more than <paramref name="OlderThan"/> ago.</summary>
public sealed record UnfinishedCleanup(TimeSpan OlderThan, TimeProvider Clock)
{
    /// <summary>A save streams for minutes at most; a day leaves room for a stuck one and for clock skew.</summary>
    public static readonly TimeSpan DefaultSafetyAge = TimeSpan.FromHours(24);
}

/// <param name="Delete">Unfinished uploads old enough to be dead.</param>
/// <param name="Kept">Younger ones: a save may still be writing them (or about to write the manifest).</param>
public sealed record UnfinishedDecision(IReadOnlyList<StoreObject> Delete, IReadOnlyList<StoreObject> Kept);

/// <summary>
/// What a killed or failed save leaves: a data object whose manifest never came, and, in the
/// directory backends, a hidden temporary file. Neither is ever listed as a snapshot, and neither
/// was ever cleaned up, so they piled up.
/// </summary>
public static class UnfinishedUploads
{
    public static async Task<IReadOnlyList<StoreObject>> ListAsync(ISnapshotStore store, string cluster, SnapshotCatalog catalog, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var all = new List<StoreObject>(catalog.Incomplete);
        if (store is ITemporaryListing temporary)
        {
            await foreach (var o in temporary.ListTemporaryAsync(StoreLayout.SnapshotsPrefix(cluster), ct).ConfigureAwait(false))
                all.Add(o);
        }
        return all;
    }

    public static UnfinishedDecision Decide(IEnumerable<StoreObject> unfinished, DateTimeOffset now, TimeSpan olderThan)
    {
        var delete = new List<StoreObject>();
        var kept = new List<StoreObject>();
        foreach (var o in unfinished.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            // An unknown time (a backend that did not say) counts as young: never delete on a guess.
            var old = o.LastModified != DateTimeOffset.MinValue && now - o.LastModified >= olderThan;
            (old ? delete : kept).Add(o);
        }
        return new UnfinishedDecision(delete, kept);
    }
}
