using System.Text;

namespace EtcdDr.Topology;

/// <summary>
/// Environment files such as Kubespray's /etc/etcd.env, read the way the program that loads them
/// reads them: systemd's EnvironmentFile= (<see cref="Parse"/>) or docker's --env-file
/// (<see cref="ParseDocker"/>). They differ: systemd removes quotes and applies escapes and line
/// continuations; docker takes every value verbatim.
/// </summary>
public static class EtcdEnvFile
{
    /// <summary>
    /// systemd's rules (env-file.c): '#'/';' lines are comments; KEY=VALUE with blanks around the
    /// key and before the value dropped; single quotes literal; double quotes with \" \\ \` \$ escapes
    /// and backslash-newline joined; unquoted backslash escapes the next character, at a line end it
    /// continues the value; unquoted trailing blanks dropped. Later assignments win. Names that are
    /// not valid variable names ("export A") are dropped, as systemd does before starting the process.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Parse(string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var i = 0;
        while (i < text.Length)
        {
            // Before the key: blanks and empty lines.
            while (i < text.Length && text[i] is ' ' or '\t' or '\r' or '\n')
                i++;
            if (i >= text.Length)
                break;
            if (text[i] is '#' or ';')
            {
                SkipLine(text, ref i);
                continue;
            }
            var keyStart = i;
            while (i < text.Length && text[i] is not ('=' or '\n'))
                i++;
            if (i >= text.Length || text[i] == '\n')
                continue; // a line without '=' is ignored
            var key = text[keyStart..i].Trim();
            i++;
            var value = ReadValue(text, ref i);
            if (IsName(key))
                values[key] = value;
        }
        return values;
    }

    /// <summary>docker's --env-file: '#' comments, KEY=VALUE with the value taken verbatim (quotes included).</summary>
    public static IReadOnlyDictionary<string, string> ParseDocker(string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimStart().TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#')
                continue;
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            // "KEY" alone passes the caller's variable through; docker rejects a name with blanks.
            if (eq > 0 && IsName(line[..eq]))
                values[line[..eq]] = line[(eq + 1)..];
        }
        return values;
    }

    private static string ReadValue(string text, ref int i)
    {
        var value = new StringBuilder();
        var keep = 0; // length up to the last character that trailing-blank stripping must keep
        while (i < text.Length && text[i] is ' ' or '\t')
            i++;
        for (; i < text.Length && text[i] != '\n'; i++)
        {
            var c = text[i];
            if (c == '\'')
            {
                var close = text.IndexOf('\'', i + 1);
                close = close < 0 ? text.Length : close;
                value.Append(text, i + 1, close - i - 1);
                keep = value.Length;
                i = close;
            }
            else if (c == '"')
            {
                for (i++; i < text.Length && text[i] != '"'; i++)
                {
                    if (text[i] == '\\' && i + 1 < text.Length)
                    {
                        var next = text[++i];
                        if (next is '"' or '\\' or '`' or '$')
                            value.Append(next);
                        else if (next != '\n')
                            value.Append('\\').Append(next);
                    }
                    else
                    {
                        value.Append(text[i]);
                    }
                }
                keep = value.Length;
            }
            else if (c == '\\' && i + 1 < text.Length)
            {
                var next = text[++i];
                if (next != '\n')
                {
                    value.Append(next);
                    keep = value.Length;
                }
            }
            else
            {
                value.Append(c);
                if (c is not (' ' or '\t' or '\r'))
                    keep = value.Length;
            }
        }
        return value.ToString(0, keep);
    }

    private static void SkipLine(string text, ref int i)
    {
        while (i < text.Length && text[i] != '\n')
            i++;
    }

    private static bool IsName(string key) =>
        key.Length > 0 && !char.IsAsciiDigit(key[0]) && key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
