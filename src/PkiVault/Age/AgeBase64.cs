namespace PkiVault.Age;

/// <summary>
/// The unpadded ("raw") standard base64 of the age header. Decoding is strict: padding, characters
/// outside the alphabet and non-zero trailing bits are rejected, because a lenient decoder would let
/// two different headers carry the same bytes.
/// </summary>
internal static class AgeBase64
{
    public static string Encode(ReadOnlySpan<byte> data) => Convert.ToBase64String(data).TrimEnd('=');

    public static bool TryDecode(string text, out byte[] bytes)
    {
        bytes = [];
        if (text.Length % 4 == 1)
            return false;
        foreach (var c in text)
        {
            if (!IsAlphabet(c))
                return false;
        }
        var padded = (text.Length % 4) switch
        {
            2 => text + "==",
            3 => text + "=",
            _ => text,
        };
        byte[] decoded;
        try
        {
            decoded = Convert.FromBase64String(padded);
        }
        catch (FormatException)
        {
            return false;
        }
        // Canonical means re-encoding gives the same text: this catches non-zero unused bits.
        if (!string.Equals(Encode(decoded), text, StringComparison.Ordinal))
            return false;
        bytes = decoded;
        return true;
    }

    public static byte[] Decode(string text, string what)
    {
        if (!TryDecode(text, out var bytes))
            throw new AgeException(AgeErrorKind.MalformedHeader, $"{what} is not canonical unpadded base64");
        return bytes;
    }

    public static bool IsAlphabet(char c) =>
        c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '+' or '/';

    public static bool IsAlphabet(byte b) => IsAlphabet((char)b);
}
