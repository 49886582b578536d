using PkiVault.Age;
using PkiVault.Archive;
using PkiVault.IO;

namespace EtcdDr.Cli;

/// <summary>Maps PkiVault's exceptions to exit codes, once per process.</summary>
public static class PkiVaultErrors
{
    private static int _registered;

    public static void EnsureRegistered()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 1)
            return;
        ErrorTranslation.Register(ex => ex switch
        {
            AgeException age => new DrException(age.Message, KindOf(age.Kind), age),
            OutputExistsException exists => new DrException(exists.Message, FailureKind.Refused, exists),
            PkiArchiveException pki => new DrException(pki.Message, pki.IsIntegrityFailure ? FailureKind.Integrity : FailureKind.Usage, pki),
            // A tar stream that ends early or is garbled inside an authenticated age file.
            InvalidDataException bad => new DrException($"the archive is damaged: {bad.Message}", FailureKind.Integrity, bad),
            _ => null,
        });
    }

    /// <summary>
    /// Tamper, truncation and wrong keys are integrity failures; strings the operator typed are usage
    /// errors; a work factor over the ceiling is a safety refusal.
    /// </summary>
    public static FailureKind KindOf(AgeErrorKind kind) => kind switch
    {
        AgeErrorKind.MalformedRecipient or AgeErrorKind.MalformedIdentity or AgeErrorKind.InvalidUsage => FailureKind.Usage,
        AgeErrorKind.WorkFactorTooHigh => FailureKind.Refused,
        _ => FailureKind.Integrity,
    };
}
