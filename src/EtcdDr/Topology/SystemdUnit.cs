using System.Text;
using System.Text.RegularExpressions;

namespace EtcdDr.Topology;

/// <summary>An EnvironmentFile= line: a leading '-' lets the file be missing.</summary>
/// <param name="Source">The unit or drop-in file that named it.</param>
public sealed record UnitEnvironmentFile(string Path, bool Optional, string Source);

/// <summary>
/// The [Service] settings of a unit as systemd would run it: the unit file, then its drop-ins
/// (etcd.service.d/*.conf) applied in file-name order, a drop-in of one name in a higher-priority
/// directory hiding the same name in a lower one. List settings (ExecStart=, Environment=,
/// EnvironmentFile=) are reset by an empty assignment; other settings take the last value.
/// </summary>
/// <param name="ExecStart">The effective ExecStart's words, prefixes (-@+!:) removed; empty when none.</param>
/// <param name="ExecStartSource">The file whose ExecStart= is in effect.</param>
/// <param name="ExecStartCount">How many ExecStart= remain in effect; systemd refuses more than one for a non-oneshot service.</param>
public sealed partial record SystemdUnit(
    string Path,
    IReadOnlyList<string> Sources,
    IReadOnlyList<string> ExecStart,
    string? ExecStartSource,
    int ExecStartCount,
    IReadOnlyList<UnitEnvironmentFile> EnvironmentFiles,
    IReadOnlyDictionary<string, string> Environment,
    string? User,
    string? WorkingDirectory)
{
    /// <summary>Directories systemd loads system units from, highest priority first.</summary>
    public static readonly string[] SearchDirectories =
        ["/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"];

    /// <summary>Where drop-ins for <paramref name="unit"/> live, highest priority first ("set-property" ones above all).</summary>
    public static IReadOnlyList<string> DropInDirectories(string unit) =>
        ["/etc/systemd/system.control/" + unit + ".d", "/run/systemd/system.control/" + unit + ".d", .. SearchDirectories.Select(d => $"{d}/{unit}.d")];

    /// <summary>
    /// Which drop-ins apply, in the order systemd applies them: by file name, and for one name the
    /// file from the directory earliest in <paramref name="directoriesByPriority"/>.
    /// </summary>
    public static IReadOnlyList<string> OrderDropIns(IEnumerable<string> files, IReadOnlyList<string> directoriesByPriority) =>
        files.Where(f => f.EndsWith(".conf", StringComparison.Ordinal))
            .GroupBy(f => System.IO.Path.GetFileName(f), StringComparer.Ordinal)
            .Select(g => g.OrderBy(f => IndexOf(directoriesByPriority, System.IO.Path.GetDirectoryName(f)!)).First())
            .OrderBy(f => System.IO.Path.GetFileName(f), StringComparer.Ordinal)
            .ToList();

    /// <summary>The unit's text followed by its drop-ins (already in <see cref="OrderDropIns"/> order).</summary>
    public static SystemdUnit Parse(string path, string text, IReadOnlyList<(string Path, string Text)> dropIns)
    {
        var execStarts = new List<(IReadOnlyList<string> Words, string Source)>();
        var envFiles = new List<UnitEnvironmentFile>();
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        string? user = null, workingDirectory = null;
        var sources = new List<string>();
        foreach (var (source, content) in new[] { (path, text) }.Concat(dropIns))
        {
            sources.Add(source);
            foreach (var (key, value) in ServiceAssignments(content))
            {
                switch (key)
                {
                    case "ExecStart" when value.Length == 0:
                        execStarts.Clear();
                        break;
                    case "ExecStart":
                        execStarts.Add((StripPrefixes(value), source));
                        break;
                    case "EnvironmentFile" when value.Length == 0:
                        envFiles.Clear();
                        break;
                    case "EnvironmentFile":
                        envFiles.Add(value.StartsWith('-') ? new(value[1..].Trim(), true, source) : new(value, false, source));
                        break;
                    case "Environment" when value.Length == 0:
                        environment.Clear();
                        break;
                    case "Environment":
                        foreach (var word in ShellWords.Split(value))
                        {
                            if (word.IndexOf('=', StringComparison.Ordinal) is > 0 and var eq)
                                environment[word[..eq]] = word[(eq + 1)..];
                        }
                        break;
                    case "User":
                        user = value.Length == 0 ? null : value;
                        break;
                    case "WorkingDirectory":
                        workingDirectory = value.Length == 0 ? null : value.TrimStart('-');
                        break;
                }
            }
        }
        var last = execStarts.Count > 0 ? execStarts[^1] : ((IReadOnlyList<string>)[], (string?)null);
        return new SystemdUnit(path, sources, last.Item1, last.Item2, execStarts.Count, envFiles, environment, user, workingDirectory);
    }

    /// <summary>
    /// ExecStart's words with the service's variables put in, as systemd does: "${VAR}" inside a
    /// word, "$VAR" as a whole word split at blanks, "$$" a dollar. Unknown variables become empty.
    /// </summary>
    public static IReadOnlyList<string> Expand(IReadOnlyList<string> words, IReadOnlyDictionary<string, string> environment)
    {
        var result = new List<string>();
        foreach (var word in words)
        {
            if (WholeVariable().Match(word) is { Success: true } whole)
            {
                result.AddRange(environment.GetValueOrDefault(whole.Groups[1].Value, "").Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries));
                continue;
            }
            result.Add(BracedVariable().Replace(word, m => m.Value == "$$" ? "$" : environment.GetValueOrDefault(m.Groups[1].Value, "")));
        }
        return result;
    }

    /// <summary>Key=value pairs of the [Service] section, continuation lines joined, comments skipped.</summary>
    private static IEnumerable<(string Key, string Value)> ServiceAssignments(string text)
    {
        var section = "";
        var logical = new StringBuilder();
        foreach (var raw in text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            var line = raw.Trim();
            if (logical.Length == 0 && (line.Length == 0 || line[0] is '#' or ';'))
                continue;
            if (logical.Length > 0 && line.Length > 0 && line[0] is '#' or ';')
                continue; // comment lines inside a continued line are skipped
            if (line.EndsWith('\\'))
            {
                logical.Append(line, 0, line.Length - 1).Append(' ');
                continue;
            }
            logical.Append(line);
            var full = logical.ToString().Trim();
            logical.Clear();
            if (full.StartsWith('['))
            {
                section = full.Trim('[', ']').Trim();
                continue;
            }
            if (section == "Service" && full.IndexOf('=', StringComparison.Ordinal) is > 0 and var eq)
                yield return (full[..eq].Trim(), full[(eq + 1)..].Trim());
        }
    }

    private static IReadOnlyList<string> StripPrefixes(string value)
    {
        var i = 0;
        var argv0 = false;
        while (i < value.Length && value[i] is '-' or '@' or '+' or '!' or ':')
            argv0 |= value[i++] == '@';
        var words = ShellWords.Split(value[i..]).ToList();
        // "@/usr/bin/etcd etcd --flags": the second word is only argv[0].
        if (argv0 && words.Count > 1)
            words.RemoveAt(1);
        return words;
    }

    private static int IndexOf(IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] == value)
                return i;
        }
        return int.MaxValue;
    }

    [GeneratedRegex(@"^\$([A-Za-z_][A-Za-z0-9_]*)$")]
    private static partial Regex WholeVariable();

    [GeneratedRegex(@"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex BracedVariable();
}
