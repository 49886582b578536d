namespace PkiVault.Age;

/// <summary>Whole-stream helpers over <see cref="AgeWriter"/> and <see cref="AgeReader"/>.</summary>
public static class AgeEncryptor
{
    private const int CopyBuffer = 256 * 1024;

    /// <summary>Encrypts all of <paramref name="input"/> into <paramref name="output"/>; leaves both open.</summary>
    public static async Task EncryptAsync(Stream input, Stream output, IReadOnlyList<IRecipient> recipients, bool armor, CancellationToken cancellationToken)
    {
        var writer = AgeWriter.Create(output, recipients, armor, leaveOpen: true);
        await using (writer.ConfigureAwait(false))
        {
            try
            {
                await input.CopyToAsync(writer, CopyBuffer, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                writer.Abort();
                throw;
            }
            await writer.FinishAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Decrypts all of <paramref name="input"/> into <paramref name="output"/>; leaves both open. Only
    /// authenticated chunks reach <paramref name="output"/>, but on failure a prefix of the
    /// plaintext may already be there: callers writing files should write to a temporary name.
    /// </summary>
    public static async Task DecryptAsync(Stream input, Stream output, IReadOnlyList<IIdentity> identities, CancellationToken cancellationToken)
    {
        var reader = await AgeReader.OpenAsync(input, identities, leaveOpen: true, cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            await reader.CopyToAsync(output, CopyBuffer, cancellationToken).ConfigureAwait(false);
        }
    }
}
