namespace EtcdDr.Restore;

/// <summary>
/// The lines a config edit changed, paired by setting, for the plan ("from what to what"). Edits are
/// line-preserving (IEtcdRuntime.EditConfig), so comparing line lists is enough.
/// </summary>
public static class ConfigDiff
{
    public static IReadOnlyList<ConfigChange> Changes(string before, string after, IEnumerable<string> settings)
    {
        if (before == after)
            return [];
        var oldLines = Lines(before);
        var newLines = Lines(after);
        var removed = Without(oldLines, newLines);
        var added = Without(newLines, oldLines);
        var changes = new List<ConfigChange>();
        foreach (var setting in settings)
        {
            var from = removed.FirstOrDefault(l => Names(l, setting));
            var to = added.FirstOrDefault(l => Names(l, setting));
            if (from is not null || to is not null)
                changes.Add(new ConfigChange(setting, from?.Trim(), to?.Trim()));
        }
        // A line the runtime changed that names none of the settings still belongs in the plan.
        foreach (var line in removed.Where(l => changes.All(c => c.From != l.Trim())))
            changes.Add(new ConfigChange("?", line.Trim(), null));
        foreach (var line in added.Where(l => changes.All(c => c.To != l.Trim())))
            changes.Add(new ConfigChange("?", null, line.Trim()));
        return changes;
    }

    private static List<string> Lines(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').ToList();

    private static List<string> Without(List<string> lines, List<string> other)
    {
        var pool = other.GroupBy(l => l, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var result = new List<string>();
        foreach (var line in lines)
        {
            if (pool.TryGetValue(line, out var n) && n > 0)
                pool[line] = n - 1;
            else
                result.Add(line);
        }
        return result;
    }

    /// <summary>"--initial-cluster=" in a manifest, "ETCD_INITIAL_CLUSTER=" in an env file.</summary>
    private static bool Names(string line, string setting)
    {
        var flag = $"--{setting}=";
        var variable = $"ETCD_{setting.Replace('-', '_').ToUpperInvariant()}=";
        var trimmed = line.TrimStart(' ', '-', '"', '\'');
        return line.Contains(flag, StringComparison.Ordinal) || trimmed.StartsWith(variable, StringComparison.Ordinal)
               || trimmed.StartsWith($"export {variable}", StringComparison.Ordinal) || line.TrimEnd() == $"- --{setting}";
    }
}
