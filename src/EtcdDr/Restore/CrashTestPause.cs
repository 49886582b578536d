namespace EtcdDr.Restore;

/// <summary>
/// Test hook of the restore crash test (docs/restore-crash.md), inert unless ETCD_DR_TEST_PAUSE_AFTER is
/// set: "plan", "begin:N" or "end:N" (N the 0-based step index) makes the journal writer stop for good
/// right after that record is on disk, holding the journal's lock, so the test can SIGKILL the run at an
/// exact step boundary. Why not only watch the journal from outside: the steps of a group write their
/// "begin" records within microseconds of each other, so no watcher can land between two of them.
/// </summary>
internal static class CrashTestPause
{
    public const string Variable = "ETCD_DR_TEST_PAUSE_AFTER";

    private static readonly string? At = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } v ? v.Trim() : null;

    public static void AfterRecord(JournalRecord record)
    {
        if (At is null)
            return;
        var name = record.Step is { } step ? $"{record.Type}:{step}" : record.Type;
        if (string.Equals(name, At, StringComparison.Ordinal))
            Thread.Sleep(Timeout.Infinite); // the test kills us here; nothing after this record may happen
    }
}
