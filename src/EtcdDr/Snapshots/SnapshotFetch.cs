using EtcdDr.Storage;

namespace EtcdDr.Snapshots;

/// <summary>
/// Downloads one snapshot of a store to a local file, checking size and SHA-256 against its manifest
/// on the way; nothing is left at the path unless it matches. `snapshot fetch` and `restore --from` use it.
/// </summary>
public static class SnapshotFetch
{
    public sealed record Fetched(CatalogEntry Entry, SnapshotManifest Manifest, string Path);

    public static async Task<Fetched> FetchAsync(ISnapshotStore store, string cluster, string which, string path, bool force, CancellationToken ct)
    {
        var catalog = await SnapshotCatalog.ReadAsync(store, cluster, ct).ConfigureAwait(false);
        var entry = catalog.Find(which);
        var manifest = entry.Manifest ?? throw new DrException($"{entry.Key}: {entry.Problem}", FailureKind.Integrity);
        await using (var part = PartFile.Create(path, force))
        {
            await using (var source = await store.OpenReadAsync(entry.Key, ct).ConfigureAwait(false))
            using (var hashing = new HashingWriteStream(part.Stream, leaveOpen: true))
            {
                await source.CopyToAsync(hashing, 1 << 20, ct).ConfigureAwait(false);
                if (hashing.BytesWritten != manifest.FileSize || hashing.Sha256Hex() != manifest.FileSha256)
                    throw new DrException($"{entry.Key}: downloaded {hashing.BytesWritten} bytes hashing to {hashing.Sha256Hex()}, the manifest says {manifest.FileSize} bytes and {manifest.FileSha256}", FailureKind.Integrity);
            }
            await part.CommitAsync(ct).ConfigureAwait(false);
        }
        await PartFile.WriteAllTextAsync(SnapshotManifest.PathFor(path), manifest.ToJson(), ct).ConfigureAwait(false);
        return new Fetched(entry, manifest, path);
    }
}
