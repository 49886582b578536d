namespace PkiVault.Age;

/// <summary>The strict PEM framing (RFC 7468) that age uses for ASCII armor.</summary>
internal static class ArmorText
{
    public const string Begin = "-----BEGIN AGE ENCRYPTED FILE-----";
    public const string End = "-----END AGE ENCRYPTED FILE-----";
    public const int Columns = 64;
    public const int BytesPerLine = 48;

    public static bool IsWhitespace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';
}
