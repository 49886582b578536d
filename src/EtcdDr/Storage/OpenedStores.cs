using EtcdDr.Remote;

namespace EtcdDr.Storage;

/// <summary>
/// A destination URL and what opening it gave: the store, or why its backend could not open it
/// (missing credentials, say). Carried as a value so that one unusable destination fails alone.
/// </summary>
public sealed record StoreOpening(StoreUrl Url, ISnapshotStore? Store, DrException? Error);

/// <summary>
/// The stores one command opened, disposed together when it ends (an SSH master connection would
/// otherwise linger for ControlPersist after the CLI exits). One store failing to close must not
/// keep the others open, and must not hide the command's own outcome, so close errors are dropped.
/// </summary>
public sealed class OpenedStores : IAsyncDisposable
{
    private readonly List<ISnapshotStore> _stores = [];

    public IReadOnlyList<ISnapshotStore> Stores => _stores;

    public ISnapshotStore Open(string url)
    {
        var store = StoreFactory.Open(url);
        _stores.Add(store);
        return store;
    }

    /// <summary>
    /// For saving to several destinations: a malformed URL still throws (a typo the operator must fix
    /// before anything runs), but a backend that refuses to open is returned as the error, so the
    /// other destinations still get their copy.
    /// </summary>
    public StoreOpening TryOpen(string url)
    {
        var parsed = StoreUrl.Parse(url);
        var open = StoreFactory.BackendFor(parsed);
        try
        {
            var store = open(parsed);
            _stores.Add(store);
            return new StoreOpening(parsed, store, null);
        }
        catch (DrException ex)
        {
            return new StoreOpening(parsed, null, ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _stores)
        {
            try
            {
                await store.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or TimeoutException or RemoteException or DrException)
            {
                // Closing is housekeeping; the backup's outcome was already decided and reported.
            }
        }
        _stores.Clear();
    }
}
