using System.Text;
using EtcdDr.Storage;

namespace EtcdDr.Snapshots;

/// <summary>A snapshot in a store, as `snapshot list` shows it.</summary>
/// <param name="Verified">Its manifest is present and readable and records this object's size.</param>
public sealed record CatalogEntry(string Key, DateTimeOffset CreatedAt, long Revision, long Size, bool Encrypted, bool Verified, SnapshotManifest? Manifest, string? Problem);

/// <summary>What a store holds for one cluster.</summary>
/// <param name="Snapshots">Complete snapshots (data and manifest), newest first.</param>
/// <param name="Incomplete">Data objects without a manifest: uploads that never finished. They never
/// count as snapshots.</param>
/// <param name="Problems">Anything that makes the listing untrustworthy (an unreadable manifest, a
/// size that disagrees); prune refuses to delete while there are any.</param>
public sealed record SnapshotCatalog(IReadOnlyList<CatalogEntry> Snapshots, IReadOnlyList<StoreObject> Incomplete, IReadOnlyList<string> Problems)
{
    public static async Task<SnapshotCatalog> ReadAsync(ISnapshotStore store, string cluster, CancellationToken ct)
    {
        var objects = new Dictionary<string, StoreObject>(StringComparer.Ordinal);
        await foreach (var o in store.ListAsync(StoreLayout.SnapshotsPrefix(cluster), ct).ConfigureAwait(false))
            objects[o.Key] = o;

        var snapshots = new List<CatalogEntry>();
        var incomplete = new List<StoreObject>();
        var problems = new List<string>();
        foreach (var o in objects.Values)
        {
            if (StoreLayout.ParseSnapshotKey(o.Key) is not { } key)
                continue;
            if (!objects.ContainsKey(key.ManifestKey))
            {
                incomplete.Add(o);
                continue;
            }
            SnapshotManifest? manifest = null;
            string? problem = null;
            try
            {
                await using var stream = await store.OpenReadAsync(key.ManifestKey, ct).ConfigureAwait(false);
                using var reader = new StreamReader(stream, Encoding.UTF8);
                manifest = SnapshotManifest.Parse(await reader.ReadToEndAsync(ct).ConfigureAwait(false), key.ManifestKey);
                if (manifest.FileSize != o.Size)
                    problem = $"{o.Key}: {o.Size} bytes stored, the manifest says {manifest.FileSize}";
            }
            catch (DrException ex)
            {
                problem = ex.Message;
            }
            if (problem is not null)
                problems.Add(problem);
            snapshots.Add(new CatalogEntry(o.Key, key.CreatedAt, key.Revision, o.Size, key.Encrypted, problem is null, manifest, problem));
        }
        return new SnapshotCatalog(
            snapshots.OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Key, StringComparer.Ordinal).ToList(),
            incomplete.OrderBy(o => o.Key, StringComparer.Ordinal).ToList(),
            problems);
    }

    /// <summary>A snapshot by key, by file name, or "latest" (the newest verified one).</summary>
    public CatalogEntry Find(string which)
    {
        if (which == "latest")
            return Snapshots.FirstOrDefault(s => s.Verified) ?? throw new DrException("the store holds no verified snapshot", FailureKind.Usage);
        return Snapshots.FirstOrDefault(s => s.Key == which || s.Key.EndsWith("/" + which, StringComparison.Ordinal))
            ?? throw new DrException($"no snapshot '{which}' in the store; `etcd-dr snapshot list` shows what is there", FailureKind.Usage);
    }
}

/// <summary>`snapshot prune`: decide with <see cref="Retention"/>, refuse on a doubtful listing, then delete.</summary>
public static class SnapshotPruner
{
    /// <param name="Unfinished">Null when unfinished uploads were not considered.</param>
    public sealed record PruneResult(RetentionDecision Decision, IReadOnlyList<string> Deleted, bool DryRun,
        UnfinishedDecision? Unfinished = null, IReadOnlyList<string>? DeletedUnfinished = null);

    public static Task<PruneResult> PruneAsync(ISnapshotStore store, string cluster, RetentionPolicy policy, bool dryRun, CancellationToken ct) =>
        PruneAsync(store, cluster, policy, dryRun, unfinished: null, ct);

    /// <param name="unfinished">Also delete unfinished uploads older than its safety age; null leaves them alone.
    /// Like everything else, nothing is deleted with an empty policy.</param>
    public static async Task<PruneResult> PruneAsync(ISnapshotStore store, string cluster, RetentionPolicy policy, bool dryRun, UnfinishedCleanup? unfinished,
        CancellationToken ct)
    {
        SnapshotCatalog catalog;
        IReadOnlyList<StoreObject> leftovers = [];
        try
        {
            catalog = await SnapshotCatalog.ReadAsync(store, cluster, ct).ConfigureAwait(false);
            if (unfinished is not null && !policy.IsEmpty)
                leftovers = await UnfinishedUploads.ListAsync(store, cluster, catalog, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new DrException($"{store.Description}: the listing failed, so nothing was deleted ({Failures.Describe(ex)})", FailureKind.Refused, ex);
        }
        if (catalog.Problems.Count > 0)
            throw new DrException(Failures.Summarize($"{store.Description}: the listing looks incomplete, so nothing was deleted", catalog.Problems), FailureKind.Refused);

        var decision = Retention.Decide(catalog.Snapshots.Select(s => new RetentionCandidate(s.Key, s.CreatedAt, s.Verified)), policy);
        var deleted = new List<string>();
        if (!dryRun)
        {
            foreach (var victim in decision.Delete)
            {
                // Manifest first: without it the data no longer lists as a snapshot, even if the
                // second delete fails.
                await store.DeleteAsync(victim.Key + StoreLayout.ManifestSuffix, ct).ConfigureAwait(false);
                await store.DeleteAsync(victim.Key, ct).ConfigureAwait(false);
                deleted.Add(victim.Key);
            }
        }
        if (unfinished is null || policy.IsEmpty)
            return new PruneResult(decision, deleted, dryRun);
        var cleanup = UnfinishedUploads.Decide(leftovers, unfinished.Clock.GetUtcNow(), unfinished.OlderThan);
        var deletedUnfinished = new List<string>();
        if (!dryRun)
        {
            foreach (var o in cleanup.Delete)
            {
                await store.DeleteAsync(o.Key, ct).ConfigureAwait(false);
                deletedUnfinished.Add(o.Key);
            }
        }
        return new PruneResult(decision, deleted, dryRun, cleanup, deletedUnfinished);
    }
}
