namespace EtcdDr.Storage;

/// <summary>One object in a store.</summary>
public sealed record StoreObject(string Key, long Size, DateTimeOffset LastModified);

/// <summary>
/// Where backups live: a local directory, a directory on another host over SSH, S3, Azure Blob.
/// Deliberately narrow (write, list, open, delete) so every backend is one small file and the
/// layout, manifests and retention stay in one place above it (<see cref="StoreLayout"/>).
/// Keys use '/' as separator and never start with one.
/// Disposable because some backends hold a connection (an SSH master, an HTTP client): whoever opens
/// a store disposes it, so nothing lingers after the CLI exits.
/// </summary>
public interface ISnapshotStore : IAsyncDisposable
{
    /// <summary>The destination as the operator wrote it, without credentials; for messages.</summary>
    string Description { get; }

    /// <summary>
    /// Writes one object by handing <paramref name="writer"/> a stream to write into, so bytes go
    /// from etcd to the store without a temporary copy. The object must appear under
    /// <paramref name="key"/> only when the writer finished without error; a failed or cancelled write
    /// leaves nothing listed under the key (backends write to a temporary name, or abort the upload).
    /// Existing objects are replaced.
    /// </summary>
    Task WriteAsync(string key, Func<Stream, CancellationToken, Task> writer, CancellationToken ct);

    /// <summary>Every object whose key starts with <paramref name="prefix"/>, in no promised order.
    /// Throws when the listing cannot be completed: callers must never act on half a listing.</summary>
    IAsyncEnumerable<StoreObject> ListAsync(string prefix, CancellationToken ct);

    /// <summary>Opens an object for reading; a missing object is a <see cref="DrException"/> of kind Usage.</summary>
    Task<Stream> OpenReadAsync(string key, CancellationToken ct);

    /// <summary>Deletes an object; deleting a missing object is not an error.</summary>
    Task DeleteAsync(string key, CancellationToken ct);
}
