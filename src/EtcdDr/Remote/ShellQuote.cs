namespace EtcdDr.Remote;

/// <summary>
/// ssh hands the remote side one string that the remote shell splits again, so an argument list can
/// only cross intact if every element is quoted. Single quotes keep everything literal; a single
/// quote itself becomes '\''. Callers never build shell strings themselves.
/// </summary>
public static class ShellQuote
{
    public static string Quote(string word)
    {
        if (word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or '=' or ':' or ',' or '@' or '+'))
            return word;
        return "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    public static string Join(IEnumerable<string> argv) => string.Join(' ', argv.Select(Quote));
}
