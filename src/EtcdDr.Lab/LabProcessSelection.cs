namespace EtcdDr.Lab;

/// <summary>One live process as /proc shows it: enough to decide whether it is the lab's.</summary>
public sealed record LabProcessInfo(int Pid, int ParentPid, long StartTicks, bool Zombie, IReadOnlyList<string> Environment);

/// <summary>
/// Which processes `lab down` and `lose-host` may kill. Only what the lab itself marked: the exact
/// environment entries ETCD_DR_LAB_STATE=STATE and ETCD_DR_LAB_MASTER=NAME (set by `lab up` on the
/// init and by the init on everything it starts), or a pid the lab recorded with its start time (a
/// recycled pid has another start time). Never a substring of a command line: an editor with a file
/// under STATE, another lab in STATE2, or the shell that runs `lab down --state STATE` all name the
/// folder without being the lab's. Never a spared pid (the caller and its ancestors, pid 1).
/// The cgroup comes first in `lab down`; this finds what a crash left outside it.
/// </summary>
public static class LabProcessSelection
{
    public static IReadOnlyList<int> Select(
        IEnumerable<LabProcessInfo> processes, string stateDirectory, string? master,
        IReadOnlyCollection<ProcessIdentity> recorded, IReadOnlySet<int> spared)
    {
        var stateEntry = LabMarker.Variable + "=" + stateDirectory;
        var masterPrefix = LabMarker.MasterVariable + "=";
        return [.. processes.Where(p => !p.Zombie && !spared.Contains(p.Pid) &&
            (recorded.Contains(new ProcessIdentity(p.Pid, p.StartTicks))
             || (p.Environment.Contains(stateEntry, StringComparer.Ordinal)
                 && p.Environment.Any(e => e.StartsWith(masterPrefix, StringComparison.Ordinal)
                     && (master is null || e.Length == masterPrefix.Length + master.Length && e.EndsWith(master, StringComparison.Ordinal))))))
            .Select(p => p.Pid)];
    }

    /// <summary>The inits `lab up` recorded in STATE/masters/*/run/init.pid (pid and start time).</summary>
    public static IReadOnlyCollection<ProcessIdentity> RecordedInits(string stateDirectory, string? master)
    {
        var paths = new LabPaths(stateDirectory);
        if (!Directory.Exists(paths.MastersDirectory))
            return [];
        var names = master is null ? Directory.GetDirectories(paths.MastersDirectory).Select(Path.GetFileName).OfType<string>() : [master];
        return [.. names.Select(n => ProcessIdentity.Read(paths.Master(n).InitPid)).OfType<ProcessIdentity>()];
    }
}
