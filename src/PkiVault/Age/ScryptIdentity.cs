using System.Globalization;
using System.Text;

namespace PkiVault.Age;

/// <summary>
/// A passphrase for decrypting. The ceiling on the work factor stops a hostile file from making us
/// spend minutes and gigabytes in scrypt before the MAC could ever fail. scrypt with r = 8 needs
/// 1 KiB per unit of N, so the default ceiling 22 still allows 4 GiB and a few seconds; age itself
/// writes 18 (256 MiB). Callers on small machines should lower it.
/// </summary>
public sealed class ScryptIdentity : IIdentity
{
    private readonly byte[] _passphrase;

    public ScryptIdentity(string passphrase, int maxWorkFactor = 22)
    {
        if (string.IsNullOrEmpty(passphrase))
            throw new AgeException(AgeErrorKind.InvalidUsage, "the passphrase is empty");
        // 1 << 31 overflows scrypt's int N; the same bound ScryptRecipient enforces when writing.
        if (maxWorkFactor is < 1 or > 30)
            throw new AgeException(AgeErrorKind.InvalidUsage, "the maximum scrypt work factor must be between 1 and 30");
        _passphrase = Encoding.UTF8.GetBytes(passphrase);
        MaxWorkFactor = maxWorkFactor;
    }

    public int MaxWorkFactor { get; }

    public byte[]? Unwrap(IReadOnlyList<Stanza> stanzas)
    {
        Stanza? scrypt = null;
        foreach (var stanza in stanzas)
        {
            if (string.Equals(stanza.Type, ScryptRecipient.StanzaType, StringComparison.Ordinal))
                scrypt = stanza;
        }
        if (scrypt is null)
            return null;
        // A passphrase implies the sender knew it; mixing with other stanzas would break that.
        if (stanzas.Count != 1)
            throw Malformed("an scrypt stanza must be the only stanza in the header");
        if (scrypt.Arguments.Count != 3)
            throw Malformed("an scrypt stanza must have exactly two arguments");
        if (!AgeBase64.TryDecode(scrypt.Arguments[1], out var salt) || salt.Length != 16)
            throw Malformed("the scrypt salt is not canonical base64 of 16 bytes");
        var factorText = scrypt.Arguments[2];
        if (factorText.Length == 0 || factorText[0] == '0' || !factorText.All(char.IsAsciiDigit) || factorText.Length > 3)
            throw Malformed("the scrypt work factor is not a decimal number without leading zeros");
        var workFactor = int.Parse(factorText, NumberStyles.None, CultureInfo.InvariantCulture);
        if (workFactor > MaxWorkFactor)
            throw new AgeException(AgeErrorKind.WorkFactorTooHigh, $"the file's scrypt work factor 2^{workFactor} is above the allowed maximum 2^{MaxWorkFactor}; refusing to spend that much time and memory (raise the limit only for a file you trust)");
        if (scrypt.Body.Length != AgeFormat.FileKeySize + AgeFormat.TagSize)
            throw Malformed("the scrypt stanza body is not 32 bytes");
        var wrapKey = ScryptRecipient.DeriveWrapKey(_passphrase, salt, workFactor);
        return AgeCrypto.UnwrapFileKey(wrapKey, scrypt.Body);
    }

    private static AgeException Malformed(string reason) =>
        new(AgeErrorKind.MalformedHeader, $"malformed age header: {reason}");
}
