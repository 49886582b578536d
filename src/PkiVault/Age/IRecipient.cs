namespace PkiVault.Age;

/// <summary>Something a file can be encrypted to: wraps the file key into one or more stanzas.</summary>
public interface IRecipient
{
    IReadOnlyList<Stanza> Wrap(ReadOnlySpan<byte> fileKey);

    /// <summary>True for recipient types whose stanza must be alone in the header (scrypt).</summary>
    bool MustBeOnlyRecipient => false;
}
