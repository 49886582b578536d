using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Generators;

namespace PkiVault.Age;

/// <summary>A passphrase. The work factor is log2 of scrypt's N; age's default is 18 (about 256 MiB, ~1 s).</summary>
public sealed class ScryptRecipient : IRecipient
{
    internal const string StanzaType = "scrypt";
    internal const string SaltLabel = "age-encryption.org/v1/scrypt";
    private readonly byte[] _passphrase;
    private readonly int _workFactor;

    public ScryptRecipient(string passphrase, int workFactor = 18)
    {
        if (string.IsNullOrEmpty(passphrase))
            throw new AgeException(AgeErrorKind.InvalidUsage, "the passphrase is empty");
        if (workFactor is < 1 or > 30)
            throw new AgeException(AgeErrorKind.InvalidUsage, "the scrypt work factor must be between 1 and 30");
        _passphrase = Encoding.UTF8.GetBytes(passphrase);
        _workFactor = workFactor;
    }

    public bool MustBeOnlyRecipient => true;

    public IReadOnlyList<Stanza> Wrap(ReadOnlySpan<byte> fileKey)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var wrapKey = DeriveWrapKey(_passphrase, salt, _workFactor);
        return [new Stanza([StanzaType, AgeBase64.Encode(salt), _workFactor.ToString(CultureInfo.InvariantCulture)], AgeCrypto.WrapFileKey(wrapKey, fileKey))];
    }

    internal static byte[] DeriveWrapKey(byte[] passphrase, byte[] salt, int workFactor) =>
        SCrypt.Generate(passphrase, [.. Encoding.ASCII.GetBytes(SaltLabel), .. salt], 1 << workFactor, 8, 1, 32);
}
