using PkiVault.Age;
using PkiVault.IO;

namespace PkiVault.Archive;

/// <summary>
/// PKI archives as files: tar + manifest inside one age file, written atomically (temporary name,
/// 0600, fsync, rename) so a failed backup never leaves a file that looks complete.
/// </summary>
public static class PkiArchiveFile
{
    public static async Task<PkiManifest> WriteAsync(IPkiSource source, string flavor, string path, bool overwrite,
        IReadOnlyList<IRecipient> recipients, bool armor, TimeProvider clock, Action<string> note, CancellationToken cancellationToken)
    {
        PkiManifest manifest;
        var file = AtomicFile.Create(path, overwrite);
        await using (file.ConfigureAwait(false))
        {
            var age = AgeWriter.Create(file.Stream, recipients, armor, leaveOpen: true);
            await using (age.ConfigureAwait(false))
            {
                try
                {
                    manifest = await PkiArchiveWriter.WriteAsync(source, flavor, age, clock, note, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    // Never seal a final chunk over a half-written tar.
                    age.Abort();
                    throw;
                }
                await age.FinishAsync(cancellationToken).ConfigureAwait(false);
            }
            await file.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        return manifest;
    }

    /// <summary>Decrypts <paramref name="input"/> (header checked first) and hands the tar stream to <paramref name="read"/>.</summary>
    public static async Task<T> ReadAsync<T>(Stream input, IReadOnlyList<IIdentity> identities, Func<Stream, Task<T>> read, CancellationToken cancellationToken)
    {
        var plain = await AgeReader.OpenAsync(input, identities, leaveOpen: true, cancellationToken).ConfigureAwait(false);
        await using (plain.ConfigureAwait(false))
            return await read(plain).ConfigureAwait(false);
    }
}
