namespace PkiVault.Age;

/// <summary>Something that can decrypt: finds a stanza addressed to it and unwraps the file key.</summary>
public interface IIdentity
{
    /// <summary>
    /// Returns the file key, or null when no stanza is for this identity (or none opens with it).
    /// Throws <see cref="AgeException"/> when a stanza of this identity's type is malformed.
    /// </summary>
    byte[]? Unwrap(IReadOnlyList<Stanza> stanzas);
}
