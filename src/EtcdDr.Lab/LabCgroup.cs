namespace EtcdDr.Lab;

/// <summary>
/// One cgroup v2 folder per master (CGROUP2/etcd-dr-lab-TAG/NAME). The master's init joins it
/// first thing, so every process of that master, ssh sessions included, is in it. Two reasons:
/// `lab down` and lose-host find and kill a master's processes even after a crash, and `cut-off`
/// can drop the master's own outgoing packets with iptables' cgroup match: on loopback a socket's
/// source address is 127.0.0.1, not the master's, so an address rule alone would leave the master
/// free to dial its peers. Apart from iptables rules this is the only thing the lab creates outside
/// its state folder, and `lab down` removes it.
/// </summary>
public sealed record LabCgroup(string Mount, string LabFolderName)
{
    public string LabFolder => Path.Combine(Mount, LabFolderName);

    public string MasterFolder(string master) => Path.Combine(LabFolder, master);

    /// <summary>The path iptables' `-m cgroup --path` wants: relative to the cgroup2 root.</summary>
    public string RelativePath(string master) => LabFolderName + "/" + master;

    /// <summary>Where cgroup2 is mounted (/sys/fs/cgroup on pure v2 hosts, /sys/fs/cgroup/unified on hybrid ones), or null.</summary>
    public static string? FindMount()
    {
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            // "... mountpoint options - fstype source superoptions"
            var separator = line.IndexOf(" - ", StringComparison.Ordinal);
            if (separator < 0)
                continue;
            var after = line[(separator + 3)..].Split(' ');
            if (after.Length > 0 && after[0] == "cgroup2")
                return line[..separator].Split(' ')[4].Replace("\\040", " ", StringComparison.Ordinal);
        }
        return null;
    }

    public static LabCgroup? For(string stateDirectory) =>
        FindMount() is { } mount ? new LabCgroup(mount, "etcd-dr-lab-" + LabState.Tag(stateDirectory)) : null;

    public void Create(IEnumerable<string> masters)
    {
        foreach (var master in masters)
            Directory.CreateDirectory(MasterFolder(master));
    }

    /// <summary>Moves the calling process into the master's cgroup; its children inherit it.</summary>
    public static void Join(string masterFolder) =>
        File.WriteAllText(Path.Combine(masterFolder, "cgroup.procs"), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The processes of the folder and of every folder below it (a kubespray-docker master's
    /// containers live in child cgroups that its dockerd creates with --cgroup-parent).</summary>
    public static IReadOnlyList<int> MembersBelow(string folder)
    {
        var all = new List<int>(Members(folder));
        try
        {
            foreach (var child in Directory.GetDirectories(folder))
                all.AddRange(MembersBelow(child));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The folder went away while we looked.
        }
        return all;
    }

    public static IReadOnlyList<int> Members(string masterFolder)
    {
        var procs = Path.Combine(masterFolder, "cgroup.procs");
        try
        {
            return [.. File.ReadAllLines(procs).Where(l => l.Length > 0).Select(l => int.Parse(l, System.Globalization.CultureInfo.InvariantCulture))];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>
    /// SIGKILLs everything in the master's cgroup until it is empty, then removes the folder;
    /// returns how many processes it killed. <paramref name="spared"/> (the caller and its
    /// ancestors, should someone run `lab down` from an ssh session into a master) are left alone.
    /// </summary>
    public async Task<int> KillAndRemoveAsync(string master, IReadOnlySet<int> spared, CancellationToken ct)
    {
        var folder = MasterFolder(master);
        if (!Directory.Exists(folder))
            return 0;
        var killed = new HashSet<int>();
        for (var round = 0; round < 100; round++)
        {
            var members = MembersBelow(folder).Where(p => !spared.Contains(p)).ToList();
            if (members.Count == 0)
                break;
            foreach (var pid in members)
            {
                if (LabNative.Kill(pid, LabNative.SigKill))
                    killed.Add(pid);
            }
            await Task.Delay(50, ct).ConfigureAwait(false);
        }
        TryRemove(folder);
        return killed.Count;
    }

    public void RemoveLabFolder()
    {
        TryRemove(LabFolder);
        // On a hybrid host runc also makes the containers' folders in every cgroup v1 hierarchy
        // (cpu, memory, ...) below the same parent; they outlive killed containers.
        foreach (var hierarchy in V1Mounts())
            TryRemove(Path.Combine(hierarchy, LabFolderName));
    }

    /// <summary>Where the cgroup v1 hierarchies are mounted (none on a pure cgroup v2 host).</summary>
    public static IEnumerable<string> V1Mounts()
    {
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var separator = line.IndexOf(" - ", StringComparison.Ordinal);
            if (separator < 0)
                continue;
            var after = line[(separator + 3)..].Split(' ');
            if (after.Length > 0 && after[0] == "cgroup")
                yield return line[..separator].Split(' ')[4].Replace("\\040", " ", StringComparison.Ordinal);
        }
    }

    // A cgroup folder is removed with rmdir (its files are virtual); EBUSY while a zombie lingers.
    private static void TryRemove(string folder)
    {
        for (var attempt = 0; attempt < 20 && Directory.Exists(folder); attempt++)
        {
            try
            {
                foreach (var child in Directory.GetDirectories(folder))
                    TryRemove(child);
                Directory.Delete(folder);
            }
            catch (IOException)
            {
                Thread.Sleep(50);
            }
        }
    }
}
