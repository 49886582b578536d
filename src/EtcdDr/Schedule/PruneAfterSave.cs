using EtcdDr.Snapshots;

namespace EtcdDr.Schedule;

/// <summary>
/// Retention after a scheduled save: each store that just received a good copy is pruned, the
/// others are left alone (a store that failed the upload may be the only one with older copies).
/// </summary>
public static class PruneAfterSave
{
    /// <summary>
    /// Pairs each destination with its outcome by position (the saver reports them in request
    /// order) and prunes the very store object it wrote to, never one found by description: two
    /// destinations may describe alike (same bucket and prefix on two endpoints, say).
    /// </summary>
    /// <returns>One line per prune that failed; the save itself stands.</returns>
    public static async Task<IReadOnlyList<string>> RunAsync(IReadOnlyList<ISnapshotDestination> destinations, SnapshotSaveResult save,
        string cluster, RetentionPolicy policy, TextWriter log, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(destinations);
        ArgumentNullException.ThrowIfNull(save);
        ArgumentNullException.ThrowIfNull(log);
        if (save.Destinations.Count != destinations.Count)
            throw new InvalidOperationException($"{save.Destinations.Count} outcomes for {destinations.Count} destinations");
        var problems = new List<string>();
        if (policy.IsEmpty)
            return problems;
        for (var i = 0; i < destinations.Count; i++)
        {
            if (!save.Destinations[i].Succeeded || destinations[i] is not StoreDestination { Store: { } store })
                continue;
            try
            {
                var pruned = await SnapshotPruner.PruneAsync(store, cluster, policy, dryRun: false, ct).ConfigureAwait(false);
                if (pruned.Deleted.Count > 0)
                    await log.WriteLineAsync($"{store.Description}: pruned {pruned.Deleted.Count} snapshots ({policy})").ConfigureAwait(false);
            }
            catch (DrException ex)
            {
                problems.Add($"prune {store.Description}: {ex.Message}");
            }
        }
        return problems;
    }
}
