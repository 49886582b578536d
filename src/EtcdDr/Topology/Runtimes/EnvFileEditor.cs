namespace EtcdDr.Topology.Runtimes;

/// <summary>
/// Line-preserving edits of a systemd EnvironmentFile such as Kubespray's /etc/etcd.env: a setting
/// "initial-cluster-state" is the variable ETCD_INITIAL_CLUSTER_STATE. Its line keeps everything but
/// the value (an "export " prefix, spaces around '=', the value's quotes); a new variable goes at
/// the end; null removes its lines. Every other byte, comments and line endings included, stays.
/// </summary>
public static class EnvFileEditor
{
    public static string Variable(string setting) => "ETCD_" + setting.Trim().TrimStart('-').Replace('-', '_').ToUpperInvariant();

    public static string Edit(string text, IReadOnlyDictionary<string, string?> settings)
    {
        var lines = SplitKeepingEndings(text);
        foreach (var (setting, value) in settings)
        {
            var name = Variable(setting);
            var found = false;
            for (var i = 0; i < lines.Count; i++)
            {
                if (Assignment(lines[i], name) is not { } at)
                    continue;
                found = true;
                if (value is null)
                {
                    lines.RemoveAt(i--);
                    continue;
                }
                lines[i] = lines[i][..at.ValueStart] + Quoted(value, at.Quote) + lines[i][at.ValueEnd..];
            }
            if (!found && value is not null)
            {
                var newline = lines.FirstOrDefault(l => l.EndsWith("\r\n", StringComparison.Ordinal)) is not null ? "\r\n" : "\n";
                if (lines.Count > 0 && !lines[^1].EndsWith('\n'))
                    lines[^1] += newline;
                lines.Add($"{name}={Quoted(value, NeedsQuotes(value) ? '"' : null)}{newline}");
            }
        }
        return string.Concat(lines);
    }

    /// <summary>Where the value of NAME's assignment sits in the line, or null when the line is something else.</summary>
    private static (int ValueStart, int ValueEnd, char? Quote)? Assignment(string line, string name)
    {
        var body = line.TrimEnd('\n').TrimEnd('\r');
        var i = 0;
        while (i < body.Length && body[i] is ' ' or '\t')
            i++;
        if (body.AsSpan(i).StartsWith("export ", StringComparison.Ordinal))
        {
            i += "export ".Length;
            while (i < body.Length && body[i] is ' ' or '\t')
                i++;
        }
        if (!body.AsSpan(i).StartsWith(name, StringComparison.Ordinal))
            return null;
        i += name.Length;
        while (i < body.Length && body[i] is ' ' or '\t')
            i++;
        if (i >= body.Length || body[i] != '=')
            return null;
        i++;
        while (i < body.Length && body[i] is ' ' or '\t')
            i++;
        var end = body.Length;
        while (end > i && body[end - 1] is ' ' or '\t')
            end--;
        if (end - i >= 2 && body[i] is '"' or '\'' && body[end - 1] == body[i])
            return (i, end, body[i]);
        return (i, end, null);
    }

    private static bool NeedsQuotes(string value) => value.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '\\' or '#' or '$' or '`');

    private static string Quoted(string value, char? quote) => quote switch
    {
        '"' => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"",
        '\'' when !value.Contains('\'', StringComparison.Ordinal) => "'" + value + "'",
        '\'' => Quoted(value, '"'),
        _ when NeedsQuotes(value) => Quoted(value, '"'),
        _ => value,
    };

    /// <summary>Lines with their own endings ("a\n", "b\r\n", a last "c" without one).</summary>
    internal static List<string> SplitKeepingEndings(string text)
    {
        var lines = new List<string>();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                lines.Add(text[start..(i + 1)]);
                start = i + 1;
            }
        }
        if (start < text.Length)
            lines.Add(text[start..]);
        return lines;
    }

    internal static string Describe(IReadOnlyDictionary<string, string?> settings, Func<string, string> name) =>
        string.Join(", ", settings.Select(s => s.Value is null ? $"remove {name(s.Key)}" : $"{name(s.Key)}={s.Value}"));
}
