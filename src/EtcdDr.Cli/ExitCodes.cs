namespace EtcdDr.Cli;

/// <summary>The exit codes every verb uses; README.md documents the same table.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int Usage = 2;
    public const int Integrity = 3;
    public const int Unreachable = 4;
    public const int Refused = 5;
    public const int Partial = 6;
    /// <summary>A scheduled run skipped because the previous one still holds the lock.</summary>
    public const int Busy = 7;
    /// <summary>A restore step failed midway; the message names the journal and `restore resume`.</summary>
    public const int StepFailed = 8;
    public const int Interrupted = 130;

    public static int For(FailureKind kind) => (int)kind;
}
