using System.Security.Cryptography;

namespace PkiVault.Age;

/// <summary>Opens an age file (binary or armored, detected) for streaming decryption.</summary>
public static class AgeReader
{
    /// <summary>
    /// Reads and authenticates the header, then returns a stream of authenticated plaintext.
    /// Header problems (wrong key, MAC mismatch, bad version) throw here; payload problems throw
    /// from Read. Disposing the returned stream disposes <paramref name="input"/> unless leaveOpen.
    /// </summary>
    public static AgeReaderStream Open(Stream input, IReadOnlyList<IIdentity> identities, bool leaveOpen = false) =>
        OpenCoreAsync(input, identities, leaveOpen, useAsync: false, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public static ValueTask<AgeReaderStream> OpenAsync(Stream input, IReadOnlyList<IIdentity> identities, bool leaveOpen = false, CancellationToken cancellationToken = default) =>
        OpenCoreAsync(input, identities, leaveOpen, useAsync: true, cancellationToken);

    private static async ValueTask<AgeReaderStream> OpenCoreAsync(Stream input, IReadOnlyList<IIdentity> identities, bool leaveOpen, bool useAsync, CancellationToken cancellationToken)
    {
        if (identities.Count == 0)
            throw new AgeException(AgeErrorKind.InvalidUsage, "no identity given to decrypt with");
        try
        {
            return await OpenHeaderAsync(input, identities, leaveOpen, useAsync, cancellationToken).ConfigureAwait(false);
        }
        catch when (!leaveOpen)
        {
            // The caller handed the stream over; it must not leak when the header is refused.
            if (useAsync)
                await input.DisposeAsync().ConfigureAwait(false);
            else
                input.Dispose();
            throw;
        }
    }

    private static async ValueTask<AgeReaderStream> OpenHeaderAsync(Stream input, IReadOnlyList<IIdentity> identities, bool leaveOpen, bool useAsync, CancellationToken cancellationToken)
    {
        // Room for one whole ciphertext chunk plus a byte of look-ahead, read in place.
        var capacity = AgeFormat.CipherChunkSize + 1;
        var source = new ByteSource(input, capacity);
        if (await ArmorReaderStream.LooksArmoredAsync(source, useAsync, cancellationToken).ConfigureAwait(false))
            source = new ByteSource(new ArmorReaderStream(source), capacity);

        var header = await AgeHeaderParser.ParseAsync(source, useAsync, cancellationToken).ConfigureAwait(false);
        var fileKey = Unwrap(header, identities);
        var expected = AgeCrypto.HeaderMac(fileKey, header.MacedBytes);
        if (!CryptographicOperations.FixedTimeEquals(expected, header.Mac))
            throw new AgeException(AgeErrorKind.HeaderMacMismatch, "the age header MAC does not match: the header was modified");

        var available = await source.FillAsync(AgeFormat.PayloadNonceSize, useAsync, cancellationToken).ConfigureAwait(false);
        if (available < AgeFormat.PayloadNonceSize)
            throw new AgeException(AgeErrorKind.Truncated, "the file ends inside the payload nonce (truncated)");
        var nonce = source.Buffered[..AgeFormat.PayloadNonceSize].ToArray();
        source.Consume(AgeFormat.PayloadNonceSize);
        var payloadKey = AgeCrypto.Hkdf(fileKey, nonce, "payload");
        CryptographicOperations.ZeroMemory(fileKey);
        return new AgeReaderStream(source, payloadKey, input, leaveOpen);
    }

    private static byte[] Unwrap(AgeHeader header, IReadOnlyList<IIdentity> identities)
    {
        foreach (var identity in identities)
        {
            if (identity.Unwrap(header.Stanzas) is { } fileKey)
                return fileKey;
        }
        var isPassphraseFile = header.Stanzas.Any(s => s.Type == ScryptRecipient.StanzaType);
        var hasPassphrase = identities.Any(i => i is ScryptIdentity);
        var hint = (isPassphraseFile, hasPassphrase) switch
        {
            (true, true) => "wrong passphrase",
            (true, false) => "the file is encrypted with a passphrase, but no passphrase was given",
            (false, true) => "the file is encrypted to public keys, not a passphrase; give an identity file",
            _ => "wrong identity: none of the given keys is a recipient of this file",
        };
        throw new AgeException(AgeErrorKind.NoMatchingIdentity, $"cannot decrypt: {hint}");
    }
}
