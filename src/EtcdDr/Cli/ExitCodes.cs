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
    public const int Interrupted = 130;

    public static int For(FailureKind kind) => (int)kind;
}
