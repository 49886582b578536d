using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text.Json;

namespace PkiVault.Archive;

/// <summary>A file read from an archive, already checked against the manifest.</summary>
public sealed record PkiArchivedFile(PkiManifestFile Record, byte[] Data);

/// <summary>
/// Reads a PKI archive's tar stream (already decrypted): the manifest first, then each file,
/// checked for size and SHA-256 against the manifest before the caller sees it. Reads to the end of
/// the stream so that, under age, the final chunk is authenticated too.
/// </summary>
public static class PkiArchiveReader
{
    public static async Task<PkiManifest> ReadAsync(Stream tar, Func<PkiManifest, Task>? onManifest, Func<PkiArchivedFile, Task>? onFile,
        CancellationToken cancellationToken)
    {
        try
        {
            return await ReadCoreAsync(tar, onManifest, onFile, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or EndOfStreamException)
        {
            // Only someone holding a recipient key can produce an authentic but malformed tar;
            // it is still a damaged archive, not a bug of ours.
            throw new PkiArchiveException($"the archive's tar stream is malformed: {ex.Message}", isIntegrityFailure: true, ex);
        }
    }

    private static async Task<PkiManifest> ReadCoreAsync(Stream tar, Func<PkiManifest, Task>? onManifest, Func<PkiArchivedFile, Task>? onFile,
        CancellationToken cancellationToken)
    {
        var reader = new TarReader(tar, leaveOpen: true);
        PkiManifest manifest;
        await using (reader.ConfigureAwait(false))
        {
            var first = await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false);
            if (first is null || first.Name != PkiManifest.EntryName || first.DataStream is null)
                throw Integrity("not an etcd-dr PKI archive: the first entry is not the manifest");
            try
            {
                manifest = await JsonSerializer.DeserializeAsync(first.DataStream, PkiManifest.JsonInfo, cancellationToken).ConfigureAwait(false)
                    ?? throw Integrity("the manifest is empty");
            }
            catch (JsonException ex)
            {
                throw new PkiArchiveException($"the manifest is not valid JSON: {ex.Message}", isIntegrityFailure: true, ex);
            }
            if (manifest.Files is null || manifest.Files.Any(f => f?.Path is null || f.Sha256 is null || f.Mode is null))
                throw Integrity("the manifest is incomplete");
            if (manifest.FormatVersion != PkiManifest.CurrentFormat)
                throw Integrity($"unsupported PKI archive format {manifest.FormatVersion}");
            if (onManifest is not null)
                await onManifest(manifest).ConfigureAwait(false);

            var records = new Dictionary<string, PkiManifestFile>(StringComparer.Ordinal);
            foreach (var file in manifest.Files)
            {
                if (!records.TryAdd(file.Path, file))
                    throw Integrity($"the manifest lists {file.Path} twice");
            }
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                    throw Integrity($"unexpected {entry.EntryType} entry {entry.Name}");
                if (!records.TryGetValue(entry.Name, out var record))
                    throw Integrity($"{entry.Name} is in the archive but not in the manifest");
                if (!seen.Add(entry.Name))
                    throw Integrity($"{entry.Name} appears twice in the archive");
                if (entry.Length != record.Size || entry.Length > PkiArchiveWriter.MaxFileSize)
                    throw Integrity($"{entry.Name}: size {entry.Length} does not match the manifest ({record.Size})");
                var data = new byte[entry.Length];
                if (entry.DataStream is not null)
                    await entry.DataStream.ReadExactlyAsync(data, cancellationToken).ConfigureAwait(false);
                if (Convert.ToHexStringLower(SHA256.HashData(data)) != record.Sha256)
                    throw Integrity($"{entry.Name}: SHA-256 does not match the manifest");
                if (onFile is not null)
                    await onFile(new PkiArchivedFile(record, data)).ConfigureAwait(false);
            }
            var missing = records.Keys.Where(k => !seen.Contains(k)).ToList();
            if (missing.Count > 0)
                throw Integrity($"the archive lacks {missing.Count} file(s) the manifest lists, e.g. {missing[0]}");
        }
        // Drain tar padding and, with age underneath, force the final chunk's authentication.
        var rest = new byte[16 * 1024];
        while (await tar.ReadAsync(rest, cancellationToken).ConfigureAwait(false) > 0)
        {
        }
        return manifest;
    }

    private static PkiArchiveException Integrity(string message) => new(message, isIntegrityFailure: true);
}
