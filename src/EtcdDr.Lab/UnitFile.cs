using System.Globalization;

namespace EtcdDr.Lab;

/// <summary>
/// The parts of a systemd service unit the lab's service manager honours: ExecStart (argv split on
/// whitespace with "..." quoting, backslash-newline continued), ExecStartPre (a leading '-' ignores its
/// failure) and ExecStop (Kubespray's docker wrapper unit removes and stops its container with them),
/// EnvironmentFile (a leading '-' makes it optional), Environment, Restart, RestartSec and TimeoutStopSec.
/// </summary>
public sealed record UnitFile(
    string Name,
    IReadOnlyList<string> ExecStart,
    IReadOnlyList<(string Path, bool Optional)> EnvironmentFiles,
    IReadOnlyDictionary<string, string> Environment,
    string Restart,
    TimeSpan RestartSec,
    TimeSpan TimeoutStopSec)
{
    public IReadOnlyList<(IReadOnlyList<string> Argv, bool IgnoreFailure)> ExecStartPre { get; init; } = [];
    public IReadOnlyList<IReadOnlyList<string>> ExecStop { get; init; } = [];

    public static UnitFile Parse(string name, string text)
    {
        var section = "";
        string[] exec = [];
        var envFiles = new List<(string, bool)>();
        var env = new Dictionary<string, string>();
        var startPre = new List<(IReadOnlyList<string>, bool)>();
        var stop = new List<IReadOnlyList<string>>();
        string restart = "no";
        TimeSpan restartSec = TimeSpan.FromMilliseconds(100), stopSec = TimeSpan.FromSeconds(90);
        foreach (var raw in text.Replace("\\\n", " ", StringComparison.Ordinal).Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
                continue;
            if (line[0] == '[')
            {
                section = line.Trim('[', ']');
                continue;
            }
            if (section != "Service" || line.IndexOf('=', StringComparison.Ordinal) is not (> 0 and var eq))
                continue;
            var key = line[..eq].Trim();
            var value = line[(eq + 1)..].Trim();
            switch (key)
            {
                case "ExecStart":
                    exec = [.. SplitWords(value.TrimStart('-', '@', '+', '!'))];
                    break;
                case "ExecStartPre":
                    startPre.Add(([.. SplitWords(value.TrimStart('-', '@', '+', '!'))], value.StartsWith('-')));
                    break;
                case "ExecStop":
                    stop.Add([.. SplitWords(value.TrimStart('-', '@', '+', '!'))]);
                    break;
                case "EnvironmentFile":
                    envFiles.Add(value.StartsWith('-') ? (value[1..], true) : (value, false));
                    break;
                case "Environment":
                    foreach (var word in SplitWords(value))
                    {
                        if (word.IndexOf('=', StringComparison.Ordinal) is > 0 and var e)
                            env[word[..e]] = word[(e + 1)..];
                    }
                    break;
                case "Restart":
                    restart = value;
                    break;
                case "RestartSec":
                    restartSec = ParseSeconds(value);
                    break;
                case "TimeoutStopSec":
                    stopSec = ParseSeconds(value);
                    break;
            }
        }
        return new UnitFile(name, exec, envFiles, env, restart, restartSec, stopSec) { ExecStartPre = startPre, ExecStop = stop };
    }

    /// <summary>"10s", "10", "1min", "500ms".</summary>
    public static TimeSpan ParseSeconds(string value)
    {
        value = value.Trim();
        if (value.EndsWith("ms", StringComparison.Ordinal))
            return TimeSpan.FromMilliseconds(double.Parse(value[..^2], CultureInfo.InvariantCulture));
        if (value.EndsWith("min", StringComparison.Ordinal))
            return TimeSpan.FromMinutes(double.Parse(value[..^3], CultureInfo.InvariantCulture));
        return TimeSpan.FromSeconds(double.Parse(value.TrimEnd('s'), CultureInfo.InvariantCulture));
    }

    /// <summary>Restart= decides whether an exit that nobody asked for is followed by a new start.</summary>
    public bool RestartsAfter(int exitCode) => Restart switch
    {
        "always" => true,
        "on-failure" or "on-abnormal" => exitCode != 0,
        _ => false,
    };

    private static IEnumerable<string> SplitWords(string value)
    {
        var word = new System.Text.StringBuilder();
        var quoted = false;
        var any = false;
        foreach (var c in value)
        {
            if (c == '"')
            {
                quoted = !quoted;
                any = true;
            }
            else if (char.IsWhiteSpace(c) && !quoted)
            {
                if (any || word.Length > 0)
                    yield return word.ToString();
                word.Clear();
                any = false;
            }
            else
            {
                word.Append(c);
            }
        }
        if (any || word.Length > 0)
            yield return word.ToString();
    }
}
