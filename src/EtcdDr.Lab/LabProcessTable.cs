using System.Globalization;

namespace EtcdDr.Lab;

/// <summary>
/// A process identified by pid and start time (field 22 of /proc/PID/stat), so a recycled pid is
/// never mistaken for the process the lab started.
/// </summary>
public sealed record ProcessIdentity(int Pid, long StartTicks)
{
    public string Serialize() => $"{Pid} {StartTicks}";

    public static ProcessIdentity? Parse(string text)
    {
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return parts.Length == 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var pid)
            && long.TryParse(parts[1], CultureInfo.InvariantCulture, out var ticks) ? new ProcessIdentity(pid, ticks) : null;
    }

    public static ProcessIdentity? Read(string pidFile) =>
        File.Exists(pidFile) ? Parse(File.ReadAllText(pidFile)) : null;

    public static ProcessIdentity? Of(int pid) => LabProcessTable.StartTicks(pid) is { } ticks ? new ProcessIdentity(pid, ticks) : null;

    /// <summary>Running (not a zombie) and still the same process.</summary>
    public bool IsAlive => LabProcessTable.StartTicks(Pid) == StartTicks && !LabProcessTable.IsZombie(Pid);
}

/// <summary>Reads /proc: who runs, with what command line and environment.</summary>
public static class LabProcessTable
{
    public static long? StartTicks(int pid)
    {
        var stat = ReadStat(pid);
        if (stat is null)
            return null;
        // The command name (field 2) is in parentheses and may hold spaces: count fields after ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return fields.Length > 19 && long.TryParse(fields[19], CultureInfo.InvariantCulture, out var ticks) ? ticks : null;
    }

    public static bool IsZombie(int pid)
    {
        var stat = ReadStat(pid);
        return stat is null || stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
    }

    public static IEnumerable<int> AllPids() =>
        Directory.EnumerateDirectories("/proc")
            .Select(Path.GetFileName)
            .Where(n => n is not null && n.All(char.IsAsciiDigit))
            .Select(n => int.Parse(n!, CultureInfo.InvariantCulture));

    /// <summary>argv joined by spaces; empty for zombies and kernel threads.</summary>
    public static string CommandLine(int pid) => ReadNulSeparated(pid, "cmdline", " ");

    public static string Environment(int pid) => ReadNulSeparated(pid, "environ", "\n");

    /// <summary>
    /// Live processes that belong to the lab in <paramref name="stateDirectory"/>: their command line
    /// names the state folder (init, sshd -f), or they inherited the lab's marker variable (etcd and
    /// everything else the masters start). Finds stragglers after a crash, without pid files.
    /// </summary>
    public static IReadOnlyList<int> FindLabProcesses(string stateDirectory)
    {
        var marker = LabMarker.Variable + "=" + stateDirectory;
        var self = System.Environment.ProcessId;
        return [.. AllPids().Where(pid => pid != self && !IsZombie(pid) &&
            (CommandLine(pid).Contains(stateDirectory, StringComparison.Ordinal)
             || Environment(pid).Split('\n').Contains(marker, StringComparer.Ordinal)))];
    }

    private static string? ReadStat(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string ReadNulSeparated(int pid, string file, string separator)
    {
        try
        {
            return string.Join(separator, File.ReadAllText($"/proc/{pid}/{file}").Split('\0', StringSplitOptions.RemoveEmptyEntries));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}

/// <summary>The environment variable every lab process inherits from its master's init.</summary>
public static class LabMarker
{
    public const string Variable = "ETCD_DR_LAB_STATE";
}
