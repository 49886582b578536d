using System.Text;
using EtcdDr.Storage;

namespace EtcdDr.Pki;

/// <param name="Verified">Its manifest is present, readable and records this object's size.</param>
public sealed record PkiCatalogEntry(string Key, DateTimeOffset CreatedAt, long Size, bool Verified, PkiBackupManifest? Manifest, string? Problem);

/// <summary>A cluster's PKI archives in a store, newest first, and archives whose manifest never came (unfinished uploads).</summary>
public sealed record PkiCatalog(IReadOnlyList<PkiCatalogEntry> Archives, IReadOnlyList<StoreObject> Incomplete)
{
    public static async Task<PkiCatalog> ReadAsync(ISnapshotStore store, string cluster, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        var objects = new Dictionary<string, StoreObject>(StringComparer.Ordinal);
        await foreach (var o in store.ListAsync(StoreLayout.PkiPrefix(cluster), ct).ConfigureAwait(false))
            objects[o.Key] = o;
        var archives = new List<PkiCatalogEntry>();
        var incomplete = new List<StoreObject>();
        foreach (var o in objects.Values)
        {
            if (StoreLayout.ParsePkiKey(o.Key) is not { } createdAt)
                continue;
            var manifestKey = o.Key + StoreLayout.ManifestSuffix;
            if (!objects.ContainsKey(manifestKey))
            {
                incomplete.Add(o);
                continue;
            }
            PkiBackupManifest? manifest = null;
            string? problem = null;
            try
            {
                await using var stream = await store.OpenReadAsync(manifestKey, ct).ConfigureAwait(false);
                using var reader = new StreamReader(stream, Encoding.UTF8);
                manifest = PkiBackupManifest.Parse(await reader.ReadToEndAsync(ct).ConfigureAwait(false), manifestKey);
                if (manifest.FileSize != o.Size)
                    problem = $"{o.Key}: {o.Size} bytes stored, the manifest says {manifest.FileSize}";
            }
            catch (DrException ex)
            {
                problem = ex.Message;
            }
            archives.Add(new PkiCatalogEntry(o.Key, createdAt, o.Size, problem is null, manifest, problem));
        }
        return new PkiCatalog(
            archives.OrderByDescending(a => a.CreatedAt).ToList(),
            incomplete.OrderBy(o => o.Key, StringComparer.Ordinal).ToList());
    }
}
