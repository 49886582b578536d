using EtcdDr.Remote;

namespace EtcdDr.Storage;

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
