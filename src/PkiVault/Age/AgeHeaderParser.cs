using System.Text;

namespace PkiVault.Age;

/// <summary>
/// Reads the header strictly by the v1 grammar, line by line, remembering the raw bytes for the
/// MAC. Each section is recognised by its first three characters, as the spec describes.
/// </summary>
internal static class AgeHeaderParser
{
    public static async ValueTask<AgeHeader> ParseAsync(ByteSource source, bool useAsync, CancellationToken cancellationToken)
    {
        var raw = new MemoryStream();
        var stanzas = new List<Stanza>();

        async ValueTask<byte[]> NextLine()
        {
            var line = await source.ReadLineAsync(AgeFormat.MaxHeaderLine, Malformed, useAsync, cancellationToken).ConfigureAwait(false)
                ?? throw new AgeException(AgeErrorKind.Truncated, "the file ends inside the age header (truncated?)");
            if (raw.Length + line.Length + 1 > AgeFormat.MaxHeaderBytes)
                throw Malformed($"the header is larger than {AgeFormat.MaxHeaderBytes} bytes");
            return line;
        }

        var first = await source.ReadLineAsync(AgeFormat.MaxHeaderLine, Malformed, useAsync, cancellationToken).ConfigureAwait(false);
        if (first is null)
            throw new AgeException(AgeErrorKind.Truncated, "the input is empty, not an age file");
        var version = Encoding.ASCII.GetString(first);
        if (!string.Equals(version, AgeFormat.VersionLine, StringComparison.Ordinal))
        {
            // "v1\r" (a CRLF header) is a damaged v1 file, not a future version.
            if (version.StartsWith(AgeFormat.VersionPrefix, StringComparison.Ordinal) && version.Length > AgeFormat.VersionPrefix.Length
                && first.All(b => b is > (byte)' ' and <= (byte)'~'))
                throw new AgeException(AgeErrorKind.UnsupportedVersion, $"unsupported age format version '{Printable(version[AgeFormat.VersionPrefix.Length..])}' (only v1 is supported)");
            throw new AgeException(AgeErrorKind.MalformedHeader, "not an age file: the first line is not 'age-encryption.org/v1'");
        }
        Append(raw, first);

        var line = await NextLine().ConfigureAwait(false);
        while (true)
        {
            if (StartsWith(line, "-> "))
            {
                Append(raw, line);
                var arguments = ParseArguments(line);
                var body = new StringBuilder();
                while (true)
                {
                    var bodyLine = await NextLine().ConfigureAwait(false);
                    Append(raw, bodyLine);
                    if (bodyLine.Length > AgeFormat.StanzaBodyColumns)
                        throw Malformed("a stanza body line is longer than 64 columns");
                    foreach (var b in bodyLine)
                    {
                        if (!AgeBase64.IsAlphabet(b))
                            throw Malformed("a stanza body contains a character outside base64");
                    }
                    body.Append(Encoding.ASCII.GetString(bodyLine));
                    if (bodyLine.Length < AgeFormat.StanzaBodyColumns)
                        break;
                }
                stanzas.Add(new Stanza(arguments, AgeBase64.Decode(body.ToString(), "a stanza body")));
                line = await NextLine().ConfigureAwait(false);
                continue;
            }
            if (StartsWith(line, "---"))
            {
                if (stanzas.Count == 0)
                    throw Malformed("the header has no recipient stanza");
                if (line.Length != 4 + 43 || line[3] != (byte)' ')
                    throw Malformed("the header MAC line is malformed");
                raw.Write(line, 0, 3);
                var mac = AgeBase64.Decode(Encoding.ASCII.GetString(line, 4, 43), "the header MAC");
                return new AgeHeader(stanzas, mac, raw.ToArray());
            }
            throw Malformed("expected a stanza ('-> ') or the MAC line ('--- ')");
        }
    }

    /// <summary>
    /// "-> " then arguments separated by single spaces, each one or more visible ASCII characters
    /// (0x21-0x7E), as the spec and the reference parser (isValidString) require. Checked on the
    /// bytes: Encoding.ASCII turns a byte from 0x80 up into '?', which would pass a check on chars.
    /// </summary>
    private static List<string> ParseArguments(byte[] line)
    {
        var rest = line.AsSpan(3);
        foreach (var b in rest)
        {
            if (b != (byte)' ' && (b < 0x21 || b > 0x7E))
                throw Malformed($"a stanza argument contains byte 0x{b:x2}, which is not visible ASCII (0x21-0x7e)");
        }
        var arguments = Encoding.ASCII.GetString(rest).Split(' ');
        foreach (var argument in arguments)
        {
            if (argument.Length == 0)
                throw Malformed("a stanza has an empty argument (double or trailing space)");
        }
        return [.. arguments];
    }

    private static void Append(MemoryStream raw, byte[] line)
    {
        raw.Write(line);
        raw.WriteByte((byte)'\n');
    }

    private static bool StartsWith(byte[] line, string prefix) =>
        line.AsSpan().StartsWith(Encoding.ASCII.GetBytes(prefix));

    private static string Printable(string s) =>
        new([.. s.Take(40).Select(c => c is >= ' ' and <= '~' ? c : '?')]);

    private static AgeException Malformed(string reason) =>
        new(AgeErrorKind.MalformedHeader, $"malformed age header: {reason}");
}
