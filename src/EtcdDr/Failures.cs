namespace EtcdDr;

public static class Failures
{
    /// <summary>An exception in the operator's words: a full disk says so plainly.</summary>
    public static string Describe(Exception ex) => ex switch
    {
        IOException io when IsDiskFull(io) => $"no space left on device ({io.Message})",
        UnauthorizedAccessException => $"permission denied ({ex.Message})",
        _ => ex.Message,
    };

    // ENOSPC is 28 on Linux; .NET puts the errno in the HResult's low word.
    public static bool IsDiskFull(IOException io) =>
        (io.HResult & 0xFFFF) == 28 || io.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase);

    /// <summary>"what: cause" on one line for one cause; a line per cause when there are several.</summary>
    public static string Summarize(string what, IReadOnlyList<string> causes) => causes.Count switch
    {
        0 => what,
        1 => $"{what}: {causes[0]}",
        _ => $"{what}:\n  " + string.Join("\n  ", causes),
    };
}
