using System.Security.Cryptography;
using EtcdDr.Snapshots;
using PkiVault.Age;

namespace EtcdDr.Restore;

/// <summary>
/// Makes the snapshot a restore uses, before anything on a master is touched: fully verified (etcd's
/// trailer, bbolt header, and the manifest's size and SHA-256 when there is one; an encrypted file is
/// decrypted to check the trailer inside), then, when encrypted, decrypted into a private plain copy
/// beside the journal (0600) that the run and a resumed run copy to the masters.
/// </summary>
public static class SnapshotPreparation
{
    /// <param name="file">The snapshot as the operator has it (maybe age-encrypted).</param>
    /// <param name="plainCopy">Where a decrypted copy goes when the file is encrypted.</param>
    public static async Task<SnapshotSource> PrepareAsync(string origin, string file, Func<Stream, Stream>? decrypt, string plainCopy, CancellationToken ct)
    {
        var report = await SnapshotVerifier.VerifyFileAsync(file, null, decrypt, ct).ConfigureAwait(false);
        if (report.Verdict == VerifyVerdict.Invalid)
            throw new DrException(Failures.Summarize($"{origin}: the snapshot failed verification, nothing was changed", report.Checks.Where(c => c.Ok == false).Select(c => $"{c.Name}: {c.Detail}").ToList()), FailureKind.Integrity);
        var encrypted = report.Manifest?.Encrypted ?? SnapshotVerifier.LooksEncrypted(file);
        if (report.Verdict == VerifyVerdict.Unverified || (encrypted && decrypt is null))
            throw new DrException($"{origin}: the snapshot is encrypted; give --identity KEY (or --passphrase-file) so it can be decrypted and its trailer checked", FailureKind.Usage);
        var plain = file;
        if (encrypted)
        {
            plain = plainCopy;
            await DecryptAsync(file, decrypt!, plainCopy, ct).ConfigureAwait(false);
        }
        var (size, sha) = await HashAsync(plain, ct).ConfigureAwait(false);
        return new SnapshotSource(origin, Path.GetFullPath(plain), size, sha, report.Manifest?.Revision, report.Manifest?.EtcdVersion);
    }

    private static async Task DecryptAsync(string file, Func<Stream, Stream> decrypt, string target, CancellationToken ct)
    {
        var temp = target + ".part";
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
            if (!OperatingSystem.IsWindows())
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            await using (var output = new FileStream(temp, options))
            await using (var input = File.OpenRead(file))
            await using (var plain = decrypt(input))
            {
                await plain.CopyToAsync(output, 1 << 20, ct).ConfigureAwait(false);
                output.Flush(flushToDisk: true);
            }
            File.Move(temp, target, overwrite: true);
        }
        catch (AgeException ex)
        {
            File.Delete(temp);
            throw new DrException($"{file}: cannot decrypt: {ex.Message}", FailureKind.Integrity, ex);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    private static async Task<(long Size, string Sha256)> HashAsync(string path, CancellationToken ct)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
        var hash = await SHA256.HashDataAsync(stream, ct).ConfigureAwait(false);
        return (stream.Length, Convert.ToHexStringLower(hash));
    }
}
