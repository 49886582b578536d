using System.Security.Cryptography;
using Org.BouncyCastle.Math.EC.Rfc7748;

namespace PkiVault.Age;

/// <summary>An X25519 private key, written as <c>AGE-SECRET-KEY-1...</c>.</summary>
public sealed class X25519Identity : IIdentity
{
    private const string Hrp = "AGE-SECRET-KEY-";
    private readonly byte[] _secret;

    private X25519Identity(byte[] secret)
    {
        _secret = secret;
        var publicKey = new byte[X25519.PointSize];
        X25519.ScalarMult(secret, 0, X25519Recipient.BasePoint, 0, publicKey, 0);
        Recipient = new X25519Recipient(publicKey);
    }

    public X25519Recipient Recipient { get; }

    public static X25519Identity Generate() => new(RandomNumberGenerator.GetBytes(X25519.ScalarSize));

    public static X25519Identity Parse(string text)
    {
        // The key itself never goes into a message: it is a secret.
        var decoded = Bech32.TryDecode(text.Trim(), out var error)
            ?? throw new AgeException(AgeErrorKind.MalformedIdentity, $"malformed identity: {error}");
        if (!string.Equals(decoded.Hrp, Hrp, StringComparison.Ordinal))
            throw new AgeException(AgeErrorKind.MalformedIdentity, "malformed identity: expected an upper-case 'AGE-SECRET-KEY-1...' X25519 key");
        if (decoded.Data.Length != X25519.ScalarSize)
            throw new AgeException(AgeErrorKind.MalformedIdentity, "malformed identity: wrong key length");
        return new X25519Identity(decoded.Data);
    }

    public byte[]? Unwrap(IReadOnlyList<Stanza> stanzas)
    {
        foreach (var stanza in stanzas)
        {
            if (!string.Equals(stanza.Type, X25519Recipient.StanzaType, StringComparison.Ordinal))
                continue;
            if (stanza.Arguments.Count != 2)
                throw Malformed("it must have exactly one argument");
            if (!AgeBase64.TryDecode(stanza.Arguments[1], out var share) || share.Length != X25519.PointSize)
                throw Malformed("its ephemeral share is not canonical base64 of 32 bytes");
            // Checking the length before decrypting avoids partitioning-oracle attacks.
            if (stanza.Body.Length != AgeFormat.FileKeySize + AgeFormat.TagSize)
                throw Malformed("its body is not 32 bytes");
            var shared = new byte[X25519.PointSize];
            if (!X25519.CalculateAgreement(_secret, 0, share, 0, shared, 0))
                throw new AgeException(AgeErrorKind.MalformedHeader, "malformed age header: an X25519 stanza uses a low-order point (all-zero shared secret)");
            var wrapKey = AgeCrypto.Hkdf(shared, [.. share, .. Recipient.PublicKey], X25519Recipient.Label);
            CryptographicOperations.ZeroMemory(shared);
            if (AgeCrypto.UnwrapFileKey(wrapKey, stanza.Body) is { } fileKey)
                return fileKey;
        }
        return null;
    }

    public override string ToString() => Bech32.Encode(Hrp, _secret);

    private static AgeException Malformed(string reason) =>
        new(AgeErrorKind.MalformedHeader, $"malformed age header: an X25519 stanza is invalid: {reason}");
}
