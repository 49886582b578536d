using System.Buffers.Binary;
using System.Security.Cryptography;
using PkiVault.Age;

namespace EtcdDr.Snapshots;

/// <summary>One check and its outcome; <see cref="Ok"/> null means "not applicable / skipped".</summary>
public sealed record VerifyCheck(string Name, bool? Ok, string Detail);

/// <summary>
/// Unverified: nothing failed, but nothing could be checked either (an encrypted file without its
/// manifest and without a key); that is neither a pass nor a damaged file.
/// </summary>
public enum VerifyVerdict
{
    Valid,
    Invalid,
    Unverified,
}

public sealed record SnapshotVerifyReport(string Path, IReadOnlyList<VerifyCheck> Checks, SnapshotManifest? Manifest)
{
    public bool Valid => Verdict == VerifyVerdict.Valid;

    public VerifyVerdict Verdict => Checks.Any(c => c.Ok == false) ? VerifyVerdict.Invalid
        : Checks.Any(c => c.Ok == true) ? VerifyVerdict.Valid
        : VerifyVerdict.Unverified;
}

/// <summary>
/// `snapshot verify`: the file against its manifest (size, SHA-256) and, for a plain snapshot, the
/// format facts etcd's restore relies on: bbolt's magic number, size % 512 == 32 and the SHA-256
/// trailer. An encrypted snapshot is checked against its manifest here; its trailer is checked when
/// it is decrypted (restore, or verify with an identity).
/// </summary>
public static class SnapshotVerifier
{
    // bbolt's meta page: a 16-byte page header, then the magic 0xED0CDAED, little-endian.
    private const uint BoltMagic = 0xED0CDAED;
    private const int BoltMagicOffset = 16;

    public static async Task<SnapshotVerifyReport> VerifyFileAsync(string path, string? manifestPath, Func<Stream, Stream>? decrypt, CancellationToken ct)
    {
        // Checked by stat, before any open: a FIFO's open would wait for a writer, and its bytes
        // could be read only once while verify reads the start twice and needs the size.
        InputFile.RequireRegular(path, "snapshot verify");
        var checks = new List<VerifyCheck>();
        manifestPath ??= SnapshotManifest.PathFor(path);
        SnapshotManifest? manifest = null;
        if (InputFile.TypeOf(manifestPath) != InputFileType.Missing)
        {
            InputFile.RequireRegular(manifestPath, "snapshot verify");
            manifest = SnapshotManifest.Parse(await File.ReadAllTextAsync(manifestPath, ct).ConfigureAwait(false), manifestPath);
            checks.Add(new VerifyCheck("manifest", true, manifestPath));
        }
        else
        {
            checks.Add(new VerifyCheck("manifest", null, $"no manifest at {manifestPath}; checking the file alone"));
        }

        var fileSize = new FileInfo(path).Length;
        using var fileHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using var hashed = new HashingReadStream(file, fileHash);
        var encrypted = manifest?.Encrypted ?? LooksEncrypted(path);

        if (encrypted && decrypt is null)
        {
            await hashed.CopyToAsync(Stream.Null, ct).ConfigureAwait(false);
            checks.Add(new VerifyCheck("trailer", null, manifest is null
                ? "encrypted: cannot check etcd's trailer without --identity (or --passphrase-file), and there is no manifest to check the file against"
                : "encrypted: give --identity (or --passphrase-file) to check etcd's SHA-256 trailer inside"));
        }
        else if (encrypted)
        {
            try
            {
                await using var plain = decrypt!(hashed);
                checks.AddRange(await CheckSnapshotBytesAsync(plain, manifest, ct).ConfigureAwait(false));
            }
            catch (AgeException ex)
            {
                // A wrong key or a tampered chunk is a failed check like any other, with its reason.
                checks.Add(new VerifyCheck("decrypt", false, ex.Message));
            }
            await hashed.CopyToAsync(Stream.Null, ct).ConfigureAwait(false); // any ciphertext the decryptor left unread
        }
        else
        {
            checks.AddRange(await CheckSnapshotBytesAsync(hashed, manifest, ct).ConfigureAwait(false));
        }

        var sha = Convert.ToHexStringLower(fileHash.GetHashAndReset());
        if (manifest is not null)
        {
            checks.Add(fileSize == manifest.FileSize
                ? new VerifyCheck("size", true, $"{fileSize} bytes, as recorded")
                : new VerifyCheck("size", false, $"{fileSize} bytes, the manifest says {manifest.FileSize} (truncated or replaced)"));
            checks.Add(string.Equals(sha, manifest.FileSha256, StringComparison.OrdinalIgnoreCase)
                ? new VerifyCheck("sha256", true, sha)
                : new VerifyCheck("sha256", false, $"file hashes to {sha}, the manifest says {manifest.FileSha256}"));
        }
        return new SnapshotVerifyReport(path, checks, manifest);
    }

    private static async Task<IReadOnlyList<VerifyCheck>> CheckSnapshotBytesAsync(Stream plain, SnapshotManifest? manifest, CancellationToken ct)
    {
        var checks = new List<VerifyCheck>();
        using var digest = new SnapshotDigest();
        var buffer = new byte[1 << 20];
        var head = new byte[BoltMagicOffset + 4];
        var headLength = 0;
        int read;
        while ((read = await plain.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            if (headLength < head.Length)
            {
                var take = Math.Min(read, head.Length - headLength);
                buffer.AsSpan(0, take).CopyTo(head.AsSpan(headLength));
                headLength += take;
            }
            digest.Append(buffer.AsSpan(0, read));
        }
        var size = digest.BytesSeen;
        checks.Add(headLength == head.Length && BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(BoltMagicOffset)) == BoltMagic
            ? new VerifyCheck("bbolt", true, "bbolt database header")
            : new VerifyCheck("bbolt", false, "not a bbolt database (wrong magic number): not an etcd v3 snapshot"));
        checks.Add(size % 512 == SnapshotDigest.Size
            ? new VerifyCheck("layout", true, $"{size} bytes = bbolt pages + 32-byte trailer")
            : new VerifyCheck("layout", false, $"{size} bytes: size % 512 is {size % 512}, not 32; truncated, or saved without etcd's trailer"));
        var verdict = digest.Complete();
        checks.Add(verdict.Valid
            ? new VerifyCheck("trailer", true, $"SHA-256 trailer matches ({verdict.TrailerHex![..16]}…)")
            : new VerifyCheck("trailer", false, verdict.Problem!));
        if (manifest is not null && verdict.TrailerHex is not null && !string.Equals(verdict.TrailerHex, manifest.SnapshotSha256Trailer, StringComparison.OrdinalIgnoreCase))
            checks.Add(new VerifyCheck("manifest-trailer", false, "the trailer differs from the one recorded at save time: this is another snapshot"));
        return checks;
    }

    /// <summary>age files open with "age-encryption.org/v1" or, armored, "-----BEGIN AGE".</summary>
    public static bool LooksEncrypted(string path)
    {
        Span<byte> start = stackalloc byte[14];
        using var f = File.OpenRead(path);
        var n = f.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
        var text = System.Text.Encoding.ASCII.GetString(start[..n]);
        return text.StartsWith("age-encryption", StringComparison.Ordinal) || text.StartsWith("-----BEGIN AGE", StringComparison.Ordinal);
    }
}
