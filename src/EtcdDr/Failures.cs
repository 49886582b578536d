namespace EtcdDr;

public static class Failures
{
    /// <summary>"what: cause" on one line for one cause; a line per cause when there are several.</summary>
    public static string Summarize(string what, IReadOnlyList<string> causes) => causes.Count switch
    {
        0 => what,
        1 => $"{what}: {causes[0]}",
        _ => $"{what}:\n  " + string.Join("\n  ", causes),
    };
}
