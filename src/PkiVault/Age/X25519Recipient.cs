using System.Security.Cryptography;
using Org.BouncyCastle.Math.EC.Rfc7748;

namespace PkiVault.Age;

/// <summary>An X25519 public key, written as <c>age1...</c>.</summary>
public sealed class X25519Recipient : IRecipient
{
    internal const string StanzaType = "X25519";
    internal const string Label = "age-encryption.org/v1/X25519";
    private readonly byte[] _publicKey;

    /// <summary>
    /// u = 9. A plain ladder from the base point costs a fraction of a millisecond, whereas
    /// BouncyCastle's ScalarMultBase first builds precomputed tables that cost a CLI run far more
    /// than the one or two multiplications it ever does.
    /// </summary>
    internal static readonly byte[] BasePoint = [9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    internal X25519Recipient(byte[] publicKey)
    {
        if (publicKey.Length != X25519.PointSize)
            throw new AgeException(AgeErrorKind.MalformedRecipient, "an X25519 recipient is 32 bytes");
        _publicKey = publicKey;
    }

    public ReadOnlySpan<byte> PublicKey => _publicKey;

    /// <summary>Parses <c>age1...</c>; see <see cref="AgeRecipient.Parse"/> for the general entry point.</summary>
    public static X25519Recipient Parse(string text)
    {
        var decoded = Bech32.TryDecode(text.Trim(), out var error)
            ?? throw new AgeException(AgeErrorKind.MalformedRecipient, $"malformed recipient '{Shorten(text)}': {error}");
        if (!string.Equals(decoded.Hrp, "age", StringComparison.Ordinal))
            throw new AgeException(AgeErrorKind.MalformedRecipient, $"malformed recipient '{Shorten(text)}': expected an 'age1...' X25519 public key");
        if (decoded.Data.Length != X25519.PointSize)
            throw new AgeException(AgeErrorKind.MalformedRecipient, $"malformed recipient '{Shorten(text)}': wrong key length");
        return new X25519Recipient(decoded.Data);
    }

    public IReadOnlyList<Stanza> Wrap(ReadOnlySpan<byte> fileKey)
    {
        var ephemeralSecret = RandomNumberGenerator.GetBytes(X25519.ScalarSize);
        var ephemeralShare = new byte[X25519.PointSize];
        X25519.ScalarMult(ephemeralSecret, 0, BasePoint, 0, ephemeralShare, 0);
        var shared = new byte[X25519.PointSize];
        if (!X25519.CalculateAgreement(ephemeralSecret, 0, _publicKey, 0, shared, 0))
            throw new AgeException(AgeErrorKind.MalformedRecipient, "the recipient is a low-order X25519 point and cannot be encrypted to");
        var wrapKey = AgeCrypto.Hkdf(shared, [.. ephemeralShare, .. _publicKey], Label);
        CryptographicOperations.ZeroMemory(ephemeralSecret);
        CryptographicOperations.ZeroMemory(shared);
        return [new Stanza([StanzaType, AgeBase64.Encode(ephemeralShare)], AgeCrypto.WrapFileKey(wrapKey, fileKey))];
    }

    public override string ToString() => Bech32.Encode("age", _publicKey);

    internal static string Shorten(string text) => text.Length <= 24 ? text : text[..20] + "...";
}
