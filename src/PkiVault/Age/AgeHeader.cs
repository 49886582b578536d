using System.Text;

namespace PkiVault.Age;

/// <summary>
/// The parsed header: the stanzas, the MAC as written, and the exact bytes the MAC covers (so the
/// check runs over what was read, not over a re-encoding of it).
/// </summary>
internal sealed record AgeHeader(IReadOnlyList<Stanza> Stanzas, byte[] Mac, byte[] MacedBytes)
{
    /// <summary>Encodes stanzas and MAC for writing; returns the full header including the final LF.</summary>
    public static byte[] Encode(IReadOnlyList<Stanza> stanzas, byte[] fileKey)
    {
        var sb = new StringBuilder();
        sb.Append(AgeFormat.VersionLine).Append('\n');
        foreach (var stanza in stanzas)
        {
            sb.Append("->");
            foreach (var arg in stanza.Arguments)
                sb.Append(' ').Append(arg);
            sb.Append('\n');
            var body = AgeBase64.Encode(stanza.Body);
            // Wrapped at 64 columns; the last line must be shorter, so a body that fills its last
            // line exactly is followed by an empty line.
            for (var i = 0; ; i += AgeFormat.StanzaBodyColumns)
            {
                var length = Math.Min(AgeFormat.StanzaBodyColumns, body.Length - i);
                sb.Append(body, i, length).Append('\n');
                if (length < AgeFormat.StanzaBodyColumns)
                    break;
            }
        }
        sb.Append("---");
        var maced = Encoding.ASCII.GetBytes(sb.ToString());
        var mac = AgeCrypto.HeaderMac(fileKey, maced);
        sb.Append(' ').Append(AgeBase64.Encode(mac)).Append('\n');
        return Encoding.ASCII.GetBytes(sb.ToString());
    }
}
