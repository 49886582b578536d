using System.Security.Cryptography;
using System.Text;
using EtcdDr.Storage;
using PkiVault.Age;
using PkiVault.Archive;
using PkiVault.IO;

namespace EtcdDr.Pki;

/// <summary>One destination's outcome: where the archive went, or why it did not.</summary>
public sealed record PkiCopyOutcome(string Destination, string? Location, string? Error)
{
    public bool Succeeded => Error is null;
}

public sealed record PkiStoreBackupResult(PkiManifest Archive, PkiBackupManifest Manifest, IReadOnlyList<PkiCopyOutcome> Copies)
{
    public bool Partial => Copies.Any(c => !c.Succeeded);
}

/// <summary>
/// `pki backup --to URL`: reads the PKI set once, encrypts it once, and stores the same ciphertext
/// as <c>&lt;cluster&gt;/pki/&lt;UTC time&gt;.tar.age</c> in every store, then its manifest. The
/// ciphertext is held in memory, not streamed per store: a PKI set is a few hundred KiB, and one
/// buffer lets every destination (and an -o file) get identical bytes from a single read of the
/// master, with no plaintext anywhere but in the archive writer. Each store's write is atomic (temp
/// name, multipart, staged blocks) and the manifest is written last, so a killed upload never lists
/// as a complete archive. One failing destination fails alone.
/// </summary>
public static class PkiStoreBackup
{
    public static async Task<PkiStoreBackupResult> WriteAsync(IPkiSource source, string flavor, string cluster, IReadOnlyList<StoreOpening> stores,
        string? outputFile, bool overwrite, IReadOnlyList<IRecipient> recipients, IReadOnlyList<string> recipientNames, bool armor, TimeProvider clock,
        Action<string> note, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stores);
        ArgumentNullException.ThrowIfNull(recipients);
        // A store is somewhere else's disk: the PKI's private keys go there only encrypted.
        if (recipients.Count == 0)
            throw new DrException("pki backup --to stores only encrypted archives: give -r age1..., -R FILE or a passphrase", FailureKind.Usage);
        var createdAt = clock.GetUtcNow();
        var key = StoreLayout.PkiKeyFor(cluster, createdAt);
        if (stores.Count > 0 && stores.All(s => s.Store is null) && outputFile is null)
            throw new DrException(Failures.Summarize("no destination can be opened", stores.Select(s => $"{s.Url.Original}: {s.Error!.Message}").ToList()),
                stores[0].Error!.Kind, stores[0].Error);

        // Before the master is read: an existing -o file is refused up front.
        if (outputFile is not null && !overwrite && (File.Exists(outputFile) || Directory.Exists(outputFile)))
            throw new OutputExistsException(outputFile);

        using var ciphertext = new MemoryStream();
        PkiManifest archive;
        var age = AgeWriter.Create(ciphertext, recipients, armor, leaveOpen: true);
        await using (age.ConfigureAwait(false))
        {
            try
            {
                archive = await PkiArchiveWriter.WriteAsync(source, flavor, age, clock, note, ct).ConfigureAwait(false);
            }
            catch
            {
                age.Abort();
                throw;
            }
            await age.FinishAsync(ct).ConfigureAwait(false);
        }
        var bytes = ciphertext.GetBuffer().AsMemory(0, (int)ciphertext.Length);
        var manifest = new PkiBackupManifest
        {
            Cluster = cluster,
            CreatedAt = createdAt,
            Flavor = flavor,
            Source = source.Description,
            Files = archive.Files.Count,
            FileSize = bytes.Length,
            FileSha256 = Convert.ToHexStringLower(SHA256.HashData(bytes.Span)),
            Recipients = recipientNames,
            ToolVersion = ToolVersion.Current,
        };

        var copies = new List<PkiCopyOutcome>();
        if (outputFile is not null)
            copies.Add(await WriteFileAsync(outputFile, overwrite, bytes, ct).ConfigureAwait(false));
        var json = Encoding.UTF8.GetBytes(manifest.ToJson());
        foreach (var opening in stores)
            copies.Add(await WriteStoreAsync(opening, key, bytes, json, ct).ConfigureAwait(false));
        if (copies.All(c => !c.Succeeded))
            throw new DrException(Failures.Summarize("the archive was built but no destination stored it", copies.Select(c => $"{c.Destination}: {c.Error}").ToList()), FailureKind.General);
        return new PkiStoreBackupResult(archive, manifest, copies);
    }

    private static async Task<PkiCopyOutcome> WriteFileAsync(string path, bool overwrite, ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        try
        {
            var file = AtomicFile.Create(path, overwrite);
            await using (file.ConfigureAwait(false))
            {
                await file.Stream.WriteAsync(bytes, ct).ConfigureAwait(false);
                await file.CommitAsync(ct).ConfigureAwait(false);
            }
            return new PkiCopyOutcome(path, Path.GetFullPath(path), null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new PkiCopyOutcome(path, null, Failures.Describe(ex));
        }
    }

    private static async Task<PkiCopyOutcome> WriteStoreAsync(StoreOpening opening, string key, ReadOnlyMemory<byte> bytes, byte[] manifest, CancellationToken ct)
    {
        if (opening.Store is not { } store)
            return new PkiCopyOutcome(opening.Url.Original, null, $"cannot open the store: {opening.Error!.Message}");
        try
        {
            await store.WriteAsync(key, (s, t) => s.WriteAsync(bytes, t).AsTask(), ct).ConfigureAwait(false);
            // Last: without it the archive does not list as complete.
            await store.WriteAsync(key + StoreLayout.ManifestSuffix, (s, t) => s.WriteAsync(manifest, t).AsTask(), ct).ConfigureAwait(false);
            return new PkiCopyOutcome(store.Description, store.Description + key, null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new PkiCopyOutcome(store.Description, null, Failures.Describe(ex));
        }
    }
}
