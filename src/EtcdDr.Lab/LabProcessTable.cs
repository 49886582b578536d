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

    /// <summary>The parent pid (field 4 of /proc/PID/stat), or null when the process is gone.</summary>
    public static int? ParentPid(int pid)
    {
        var stat = ReadStat(pid);
        if (stat is null)
            return null;
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return fields.Length > 1 && int.TryParse(fields[1], CultureInfo.InvariantCulture, out var parent) ? parent : null;
    }

    /// <summary>
    /// This process and every ancestor up to pid 1 (walking /proc/self's parent chain): whoever
    /// called `lab down` (a shell, `timeout`, a test runner) is never the lab's, whatever its
    /// command line or environment says.
    /// </summary>
    public static IReadOnlySet<int> SelfAndAncestors()
    {
        var spared = new HashSet<int> { 1 };
        int? pid = System.Environment.ProcessId;
        while (pid is > 1 && spared.Add(pid.Value))
            pid = ParentPid(pid.Value);
        return spared;
    }

    /// <summary>A snapshot of one live process, what <see cref="LabProcessSelection"/> decides on.</summary>
    public static LabProcessInfo? Describe(int pid)
    {
        if (StartTicks(pid) is not { } ticks)
            return null;
        return new LabProcessInfo(pid, ParentPid(pid) ?? 0, ticks, IsZombie(pid), Environment(pid).Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>
    /// Live processes of the lab in <paramref name="stateDirectory"/> (only those of
    /// <paramref name="master"/> when given), chosen by <see cref="LabProcessSelection"/>: the exact
    /// markers the lab puts in every environment it starts, or a recorded pid with its start time.
    /// Never this process or its ancestors. Finds stragglers after a crash, without lab.json.
    /// </summary>
    public static IReadOnlyList<int> FindLabProcesses(string stateDirectory, string? master = null)
    {
        var recorded = LabProcessSelection.RecordedInits(stateDirectory, master);
        var processes = AllPids().Select(Describe).OfType<LabProcessInfo>();
        return LabProcessSelection.Select(processes, stateDirectory, master, recorded, SelfAndAncestors());
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

/// <summary>
/// The environment variables every lab process inherits from its master's init: the exact state
/// folder and the master's name. Both must be there: an operator who exports ETCD_DR_LAB_STATE to
/// choose the default --state has it in every program their shell starts, but never the second.
/// </summary>
public static class LabMarker
{
    public const string Variable = "ETCD_DR_LAB_STATE";
    public const string MasterVariable = "ETCD_DR_LAB_MASTER";
}
