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
    /// Synchronous form for command-line use: blocking reads and writes on files are cheaper than
    /// async ones (no thread-pool hop per chunk). Cancellation is checked between chunks.
    /// </summary>
    public static void Encrypt(Stream input, Stream output, IReadOnlyList<IRecipient> recipients, bool armor, CancellationToken cancellationToken)
    {
        using var writer = AgeWriter.Create(output, recipients, armor, leaveOpen: true);
        try
        {
            writer.WriteFrom(input, cancellationToken);
        }
        catch
        {
            writer.Abort();
            throw;
        }
        writer.Finish();
    }

    /// <summary>Synchronous decryption of a whole stream; see <see cref="DecryptAsync"/>.</summary>
    public static void Decrypt(Stream input, Stream output, IReadOnlyList<IIdentity> identities)
    {
        using var reader = AgeReader.Open(input, identities, leaveOpen: true);
        reader.CopyTo(output);
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
