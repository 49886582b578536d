namespace PkiVault.Age;

/// <summary>
/// One recipient stanza of the header: its arguments (the first names the recipient type) and the
/// wrapped file key. Identities read stanzas; recipients produce them.
/// </summary>
public sealed record Stanza(IReadOnlyList<string> Arguments, byte[] Body)
{
    public string Type => Arguments[0];
}
