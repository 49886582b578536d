using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text.Json;

namespace PkiVault.Archive;

/// <summary>
/// Writes a PKI archive: a PAX tar whose first entry is the manifest, followed by the files with
/// their modes, owners and times. The manifest must come first (so inspect and restore can check
/// each file before using it) yet needs every file's hash, so the source is read twice: pass one
/// hashes and analyses one file at a time, pass two streams them into the tar and checks each
/// against its pass-one hash. Memory holds one file and the manifest, never the whole set.
/// </summary>
public static class PkiArchiveWriter
{
    /// <summary>No PKI file is anywhere near this; a bigger one is not what we think it is.</summary>
    public const int MaxFileSize = 16 * 1024 * 1024;

    public static async Task<PkiManifest> WriteAsync(IPkiSource source, string flavor, Stream tarOutput, TimeProvider clock,
        Action<string> note, CancellationToken cancellationToken)
    {
        // Pass one: hashes, certificate facts, key pairs.
        var firstPass = new List<(PkiSourceFile File, long Size, string Sha256, PkiFileAnalysis Analysis)>();
        await foreach (var file in source.EnumerateAsync(note, cancellationToken).ConfigureAwait(false))
        {
            var data = await ReadAllAsync(file, cancellationToken).ConfigureAwait(false);
            firstPass.Add((file, data.Length, Convert.ToHexStringLower(SHA256.HashData(data)), PkiContentAnalyzer.Analyze(file.Path, data)));
        }
        if (firstPass.Count == 0)
            throw new PkiArchiveException($"nothing to back up: no PKI files found under {source.Description}", isIntegrityFailure: false);

        var pairings = PkiKeyPairing.Pair([.. firstPass.Select(f => f.Analysis)]);
        var manifest = new PkiManifest(PkiManifest.CurrentFormat, clock.GetUtcNow(), flavor, source.Description,
            [.. firstPass.Select(f => PkiManifestBuilder.File(f.File, f.Size, f.Sha256, f.Analysis, pairings))]);
        var expected = manifest.Files.ToDictionary(f => f.Path, StringComparer.Ordinal);

        var writer = new TarWriter(tarOutput, TarEntryFormat.Pax, leaveOpen: true);
        await using (writer.ConfigureAwait(false))
        {
            var manifestEntry = new PaxTarEntry(TarEntryType.RegularFile, PkiManifest.EntryName)
            {
                Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                ModificationTime = manifest.CreatedUtc,
                DataStream = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(manifest, PkiManifest.JsonInfo)),
            };
            await writer.WriteEntryAsync(manifestEntry, cancellationToken).ConfigureAwait(false);

            // Pass two: the same files again, each checked against pass one before it is written.
            var written = 0;
            await foreach (var file in source.EnumerateAsync(_ => { }, cancellationToken).ConfigureAwait(false))
            {
                if (!expected.TryGetValue(file.Path, out var record))
                    throw new PkiArchiveException($"{file.Path} appeared during the backup; run it again", isIntegrityFailure: true);
                var data = await ReadAllAsync(file, cancellationToken).ConfigureAwait(false);
                if (Convert.ToHexStringLower(SHA256.HashData(data)) != record.Sha256)
                    throw new PkiArchiveException($"{file.Path} changed during the backup; run it again", isIntegrityFailure: true);
                var entry = new PaxTarEntry(TarEntryType.RegularFile, file.Path)
                {
                    Mode = file.Metadata.Mode,
                    Uid = file.Metadata.Uid,
                    Gid = file.Metadata.Gid,
                    ModificationTime = file.Metadata.ModifiedUtc,
                    DataStream = new MemoryStream(data),
                };
                await writer.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
                written++;
            }
            if (written != manifest.Files.Count)
                throw new PkiArchiveException("files disappeared during the backup; run it again", isIntegrityFailure: true);
        }
        return manifest;
    }

    private static async Task<byte[]> ReadAllAsync(PkiSourceFile file, CancellationToken cancellationToken)
    {
        var stream = await file.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int n;
            while ((n = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + n > MaxFileSize)
                    throw new PkiArchiveException($"{file.Path} is larger than {MaxFileSize / (1024 * 1024)} MiB; that is not a PKI file", isIntegrityFailure: false);
                buffer.Write(chunk, 0, n);
            }
            return buffer.ToArray();
        }
    }
}
