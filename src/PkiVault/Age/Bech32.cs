using System.Text;

namespace PkiVault.Age;

/// <summary>
/// Bech32 (BIP 173) as age uses it for keys: the original checksum constant (not bech32m), one case
/// throughout, and no 90-character limit since age's post-quantum keys are longer.
/// </summary>
internal static class Bech32
{
    private const string Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    private static readonly uint[] Generator = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

    public static string Encode(string hrp, ReadOnlySpan<byte> data)
    {
        var lowerHrp = hrp.ToLowerInvariant();
        var values = ConvertBits(data, 8, 5, pad: true)
            ?? throw new InvalidOperationException("bit conversion cannot fail when padding");
        var checksum = CreateChecksum(lowerHrp, values);
        var sb = new StringBuilder(lowerHrp.Length + 1 + values.Length + 6);
        sb.Append(lowerHrp).Append('1');
        foreach (var v in values)
            sb.Append(Charset[v]);
        foreach (var v in checksum)
            sb.Append(Charset[v]);
        // The identity encoding is upper case; callers ask for that by passing an upper-case HRP.
        return hrp.Any(char.IsUpper) ? sb.ToString().ToUpperInvariant() : sb.ToString();
    }

    /// <summary>
    /// Decodes and returns (hrp as written, data bytes), or null with a reason. The HRP keeps its case
    /// so callers can insist on age's conventions: lower-case recipients, upper-case identities.
    /// </summary>
    public static (string Hrp, byte[] Data)? TryDecode(string text, out string error)
    {
        error = "";
        bool hasLower = false, hasUpper = false;
        foreach (var c in text)
        {
            if (c < 33 || c > 126)
            {
                error = "contains a character outside printable ASCII";
                return null;
            }
            hasLower |= char.IsAsciiLetterLower(c);
            hasUpper |= char.IsAsciiLetterUpper(c);
        }
        if (hasLower && hasUpper)
        {
            error = "mixes upper and lower case";
            return null;
        }
        var lower = text.ToLowerInvariant();
        var separator = lower.LastIndexOf('1');
        if (separator < 1 || separator + 7 > lower.Length)
        {
            error = "has no valid separator or is too short";
            return null;
        }
        var hrp = lower[..separator];
        var writtenHrp = text[..separator];
        var values = new byte[lower.Length - separator - 1];
        for (var i = 0; i < values.Length; i++)
        {
            var index = Charset.IndexOf(lower[separator + 1 + i], StringComparison.Ordinal);
            if (index < 0)
            {
                error = $"contains '{lower[separator + 1 + i]}', which is not a bech32 character";
                return null;
            }
            values[i] = (byte)index;
        }
        if (Polymod(ExpandHrp(hrp).Concat(values)) != 1)
        {
            error = "has a bad checksum (a typo, or a truncated key)";
            return null;
        }
        var data = ConvertBits(values.AsSpan(0, values.Length - 6), 5, 8, pad: false);
        if (data is null)
        {
            error = "has invalid padding bits";
            return null;
        }
        return (writtenHrp, data);
    }

    private static byte[] CreateChecksum(string hrp, byte[] values)
    {
        var mod = Polymod(ExpandHrp(hrp).Concat(values).Concat(new byte[6])) ^ 1;
        var result = new byte[6];
        for (var i = 0; i < 6; i++)
            result[i] = (byte)((mod >> (5 * (5 - i))) & 31);
        return result;
    }

    private static IEnumerable<byte> ExpandHrp(string hrp)
    {
        foreach (var c in hrp)
            yield return (byte)(c >> 5);
        yield return 0;
        foreach (var c in hrp)
            yield return (byte)(c & 31);
    }

    private static uint Polymod(IEnumerable<byte> values)
    {
        uint chk = 1;
        foreach (var v in values)
        {
            var top = chk >> 25;
            chk = ((chk & 0x1ffffff) << 5) ^ v;
            for (var i = 0; i < 5; i++)
            {
                if (((top >> i) & 1) != 0)
                    chk ^= Generator[i];
            }
        }
        return chk;
    }

    private static byte[]? ConvertBits(ReadOnlySpan<byte> data, int fromBits, int toBits, bool pad)
    {
        var acc = 0;
        var bits = 0;
        var maxValue = (1 << toBits) - 1;
        var result = new List<byte>(data.Length * fromBits / toBits + 1);
        foreach (var value in data)
        {
            if (value >> fromBits != 0)
                return null;
            acc = (acc << fromBits) | value;
            bits += fromBits;
            while (bits >= toBits)
            {
                bits -= toBits;
                result.Add((byte)((acc >> bits) & maxValue));
            }
        }
        if (pad)
        {
            if (bits > 0)
                result.Add((byte)((acc << (toBits - bits)) & maxValue));
        }
        else if (bits >= fromBits || ((acc << (toBits - bits)) & maxValue) != 0)
        {
            return null;
        }
        return [.. result];
    }
}
