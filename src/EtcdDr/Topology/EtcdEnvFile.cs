namespace EtcdDr.Topology;

/// <summary>
/// A systemd EnvironmentFile such as Kubespray's /etc/etcd.env: KEY=VALUE lines, '#' comments,
/// optional single or double quotes around values. Later lines win, as in systemd.
/// </summary>
public static class EtcdEnvFile
{
    public static IReadOnlyDictionary<string, string> Parse(string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
                continue;
            if (line.StartsWith("export ", StringComparison.Ordinal))
                line = line[7..].TrimStart();
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
                continue;
            var value = line[(eq + 1)..].Trim();
            if (value.Length >= 2 && (value[0] == '"' && value[^1] == '"' || value[0] == '\'' && value[^1] == '\''))
                value = value[1..^1];
            values[line[..eq].Trim()] = value;
        }
        return values;
    }
}
