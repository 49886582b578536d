using System.Security.Cryptography;

namespace PkiVault.Age;

/// <summary>Creates streams that encrypt what is written into them to an age file.</summary>
public static class AgeWriter
{
    /// <summary>
    /// Returns a stream to write plaintext into; dispose it (or call FinishAsync) to write the final
    /// chunk. The header is produced here (scrypt runs now) but written with the first chunk.
    /// </summary>
    public static AgeWriterStream Create(Stream output, IReadOnlyList<IRecipient> recipients, bool armor = false, bool leaveOpen = false)
    {
        if (recipients.Count == 0)
            throw new AgeException(AgeErrorKind.InvalidUsage, "no recipient given to encrypt to");
        if (recipients.Count > 1 && recipients.Any(r => r.MustBeOnlyRecipient))
            throw new AgeException(AgeErrorKind.InvalidUsage, "a passphrase cannot be combined with other recipients");

        var fileKey = RandomNumberGenerator.GetBytes(AgeFormat.FileKeySize);
        var stanzas = new List<Stanza>();
        foreach (var recipient in recipients)
            stanzas.AddRange(recipient.Wrap(fileKey));
        var header = AgeHeader.Encode(stanzas, fileKey);
        var nonce = RandomNumberGenerator.GetBytes(AgeFormat.PayloadNonceSize);
        var payloadKey = AgeCrypto.Hkdf(fileKey, nonce, "payload");
        CryptographicOperations.ZeroMemory(fileKey);
        return new AgeWriterStream(output, [.. header, .. nonce], payloadKey, armor, leaveOpen);
    }
}
