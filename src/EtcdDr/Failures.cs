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

    /// <summary>
    /// "what: cause; cause; ..." on one line however many causes there are: errors go to stderr as
    /// one line (log collectors, cron mail and the metrics textfile each take one line per event).
    /// </summary>
    public static string Summarize(string what, IReadOnlyList<string> causes) => causes.Count switch
    {
        0 => what,
        _ => $"{what}: " + string.Join("; ", causes.Select(OneLine)),
    };

    /// <summary>A message folded onto one line: a cause from a library may carry its own newlines.</summary>
    public static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
