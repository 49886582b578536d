namespace EtcdDr;

/// <summary>What kind of failure ended a command; the CLI maps each to a documented exit code.</summary>
public enum FailureKind
{
    /// <summary>Anything not covered below.</summary>
    General = 1,
    /// <summary>The command line or a config file is wrong.</summary>
    Usage = 2,
    /// <summary>Data failed a check: digest mismatch, truncation, authentication tag, manifest.</summary>
    Integrity = 3,
    /// <summary>No endpoint or host could be reached, or TLS/auth to it failed.</summary>
    Unreachable = 4,
    /// <summary>A safety rule refused the action (existing output, non-empty data dir, healthy quorum).</summary>
    Refused = 5,
    /// <summary>Some of the work succeeded and some did not (one destination of several failed).</summary>
    Partial = 6,
    /// <summary>Another run holds the lock (a scheduled save, a restore of the same cluster).</summary>
    Busy = 7,
    /// <summary>A restore step failed midway: the message names the journal and `restore resume`.</summary>
    StepFailed = 8,
}

/// <summary>
/// An error meant for the operator: the message says what went wrong and, where it can, what to do
/// next. Anything else that escapes a command is a bug and is reported with its type.
/// </summary>
public class DrException(string message, FailureKind kind = FailureKind.General, Exception? inner = null)
    : Exception(message, inner)
{
    public FailureKind Kind { get; } = kind;
}
