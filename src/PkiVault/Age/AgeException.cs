namespace PkiVault.Age;

/// <summary>Why an age operation failed; callers map these to exit codes without parsing messages.</summary>
public enum AgeErrorKind
{
    /// <summary>No identity could unwrap the file key: wrong key or wrong passphrase.</summary>
    NoMatchingIdentity,
    /// <summary>The header authenticator does not match: the header was altered.</summary>
    HeaderMacMismatch,
    /// <summary>The file ends before its final chunk.</summary>
    Truncated,
    /// <summary>A payload chunk failed authentication.</summary>
    TamperedChunk,
    /// <summary>Bytes follow the final chunk.</summary>
    TrailingData,
    /// <summary>The version line names a format other than v1.</summary>
    UnsupportedVersion,
    /// <summary>An scrypt stanza asks for more work than the identity allows.</summary>
    WorkFactorTooHigh,
    /// <summary>The header does not follow the grammar (bad stanza, non-canonical base64, ...).</summary>
    MalformedHeader,
    /// <summary>The ASCII armor is not strict PEM.</summary>
    MalformedArmor,
    /// <summary>A recipient string (age1...) could not be parsed.</summary>
    MalformedRecipient,
    /// <summary>An identity string or identity file could not be parsed.</summary>
    MalformedIdentity,
    /// <summary>The caller misused the API (no recipients, scrypt mixed with other recipients).</summary>
    InvalidUsage,
}

/// <summary>Every failure of the age format surfaces as this type, with a message an operator can act on.</summary>
public sealed class AgeException(AgeErrorKind kind, string message, Exception? inner = null) : Exception(message, inner)
{
    public AgeErrorKind Kind { get; } = kind;

    /// <summary>True when the failure means the data was altered, cut short or the key is wrong.</summary>
    public bool IsIntegrityFailure => Kind is AgeErrorKind.NoMatchingIdentity or AgeErrorKind.HeaderMacMismatch
        or AgeErrorKind.Truncated or AgeErrorKind.TamperedChunk or AgeErrorKind.TrailingData
        or AgeErrorKind.MalformedHeader or AgeErrorKind.MalformedArmor or AgeErrorKind.UnsupportedVersion;
}
