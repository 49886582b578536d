using System.Text.RegularExpressions;

namespace EtcdDr.Topology.Runtimes;

/// <summary>
/// Line-preserving edits of the flags in a kubeadm static pod manifest: the "- --flag=value" items
/// of the etcd container's block-style `command:` (or `args:`) list. A flag's value is replaced in
/// place (indentation and quotes kept), a new flag goes after the last flag, null removes the item.
/// Every other byte stays, so kubelet sees exactly the change the plan named. Flow-style or JSON
/// manifests are refused rather than rewritten.
/// </summary>
public static partial class ManifestFlagEditor
{
    public static string Edit(string text, IReadOnlyDictionary<string, string?> settings, string source)
    {
        var lines = EnvFileEditor.SplitKeepingEndings(text);
        foreach (var (setting, value) in settings)
        {
            var name = setting.Trim().TrimStart('-');
            var block = EtcdCommandBlock(lines, source);
            var found = false;
            for (var i = block.End - 1; i >= block.Start; i--)
            {
                var m = FlagItem().Match(Body(lines[i]));
                if (!m.Success || m.Groups["name"].Value != name)
                    continue;
                found = true;
                if (value is null)
                    lines.RemoveAt(i);
                else
                    lines[i] = m.Groups["indent"].Value + "- " + Item(name, value, m.Groups["quote"].Value) + Ending(lines[i]);
            }
            if (found || value is null)
                continue;
            var last = Enumerable.Range(block.Start, block.End - block.Start).LastOrDefault(i => FlagItem().IsMatch(Body(lines[i])), block.End - 1);
            var indent = ItemLine().Match(Body(lines[last])).Groups["indent"].Value;
            var ending = Ending(lines[last]);
            if (ending.Length == 0)
            {
                ending = "\n";
                lines[last] += ending;
            }
            lines.Insert(last + 1, indent + "- " + Item(name, value, "") + ending);
        }
        return string.Concat(lines);
    }

    /// <summary>"--name=value", quoted as the old item was, or in single quotes when YAML needs it.</summary>
    private static string Item(string name, string value, string quote)
    {
        var item = $"--{name}={value}";
        if (quote == "\"")
            return "\"" + item.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
        if (quote == "'" || item.Contains(": ", StringComparison.Ordinal) || item.Contains(" #", StringComparison.Ordinal) || item.EndsWith(':') || item.Any(char.IsControl))
            return "'" + item.Replace("'", "''", StringComparison.Ordinal) + "'";
        return item;
    }

    /// <summary>[Start, End) of the item lines of the etcd container's command (or args) list.</summary>
    private static (int Start, int End) EtcdCommandBlock(List<string> lines, string source)
    {
        var blocks = new List<(int Start, int End)>();
        for (var i = 0; i < lines.Count; i++)
        {
            if (!CommandKey().IsMatch(Body(lines[i])))
                continue;
            var start = i + 1;
            var end = start;
            var indent = start < lines.Count ? ItemLine().Match(Body(lines[start])) is { Success: true } first ? first.Groups["indent"].Value : null : null;
            while (indent is not null && end < lines.Count && ItemLine().Match(Body(lines[end])) is { Success: true } m && m.Groups["indent"].Value == indent)
                end++;
            if (end > start)
                blocks.Add((start, end));
        }
        // The etcd container's list: the one whose items carry --data-dir/--name, else the only one.
        var etcd = blocks.Where(b => Enumerable.Range(b.Start, b.End - b.Start).Any(i => FlagItem().Match(Body(lines[i])) is { Success: true } m && m.Groups["name"].Value is "data-dir" or "name")).ToList();
        return etcd.Count == 1 ? etcd[0]
            : blocks.Count == 1 ? blocks[0]
            : throw new DrException($"{source}: cannot find the etcd container's block-style command: list to edit (found {blocks.Count}); edit the flags by hand", FailureKind.Usage);
    }

    private static string Body(string line) => line.TrimEnd('\n').TrimEnd('\r');

    private static string Ending(string line) => line[Body(line).Length..];

    [GeneratedRegex(@"^\s*(- )?(command|args):\s*$")]
    private static partial Regex CommandKey();

    [GeneratedRegex(@"^(?<indent>\s*)- \S")]
    private static partial Regex ItemLine();

    [GeneratedRegex(@"^(?<indent>\s*)- (?<quote>[""']?)--(?<name>[A-Za-z0-9-]+)(=.*?)?\k<quote>\s*$")]
    private static partial Regex FlagItem();
}
