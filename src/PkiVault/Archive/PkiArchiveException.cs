namespace PkiVault.Archive;

/// <summary>
/// A PKI archive problem: either the data fails a check (<see cref="IsIntegrityFailure"/>), or the
/// request cannot be met (nothing to archive, an unsafe path).
/// </summary>
public sealed class PkiArchiveException(string message, bool isIntegrityFailure, Exception? inner = null) : Exception(message, inner)
{
    public bool IsIntegrityFailure { get; } = isIntegrityFailure;
}
