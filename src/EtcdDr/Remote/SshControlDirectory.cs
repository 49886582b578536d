using System.Collections.Concurrent;
using System.Globalization;

namespace EtcdDr.Remote;

/// <summary>
/// The private temporary folders that hold ssh's ControlMaster sockets (etcd-dr-ssh-*). One is made
/// only when a host first connects; every one this process made is removed when it ends, even
/// through SIGTERM's grace-period exit; and since a SIGKILLed run can remove nothing, each holds an
/// `owner` file (pid, process start time, pid namespace, boot id) by which the next run that makes
/// one tells a dead run's leftovers from a live run's folders and removes them.
/// </summary>
public static class SshControlDirectory
{
    public const string Prefix = "etcd-dr-ssh-";
    public const string OwnerFile = "owner";

    /// <summary>Folders without an owner file come from versions before it (an interrupted
    /// `inventory check` left thousands): removed when empty and this old, so a run of such a
    /// version that is still going keeps its folder.</summary>
    public static readonly TimeSpan OwnerlessAge = TimeSpan.FromDays(1);

    private static readonly ConcurrentDictionary<string, byte> Live = new(StringComparer.Ordinal);
    private static int _leftoversChecked;

    static SshControlDirectory()
    {
        // Runs on a normal exit and on Environment.Exit (Program.cs's SIGTERM grace period).
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var dir in Live.Keys)
                Delete(dir);
        };
    }

    /// <summary>A new private folder (0700) owned by this process; leftovers of dead runs go first.</summary>
    public static string Create()
    {
        if (Interlocked.Exchange(ref _leftoversChecked, 1) == 0)
            CleanLeftovers(Path.GetTempPath(), DateTimeOffset.UtcNow);
        var dir = Directory.CreateTempSubdirectory(Prefix).FullName;
        Live[dir] = 0;
        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (ControlDirectoryOwner.Current() is { } me)
            File.WriteAllText(Path.Combine(dir, OwnerFile), me.ToString());
        return dir;
    }

    public static void Delete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Gone already, or not ours to remove.
        }
        Live.TryRemove(dir, out _);
    }

    /// <summary>
    /// Removes the etcd-dr-ssh-* folders in <paramref name="tempRoot"/> whose owner is provably dead:
    /// its pid is gone, or runs a process that started at another time (a reused pid), or the
    /// machine rebooted since. A folder of a live process, or of one in another pid namespace (a
    /// container sharing /tmp), is left alone. Returns the folders removed.
    /// </summary>
    public static IReadOnlyList<string> CleanLeftovers(string tempRoot, DateTimeOffset now)
    {
        var removed = new List<string>();
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateDirectories(tempRoot, Prefix + "*").ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return removed;
        }
        foreach (var dir in candidates)
        {
            if (Live.ContainsKey(dir) || IsLeftover(dir, now) is not true)
                continue;
            Delete(dir);
            if (!Directory.Exists(dir))
                removed.Add(dir);
        }
        return removed;
    }

    private static bool? IsLeftover(string dir, DateTimeOffset now)
    {
        try
        {
            var info = new DirectoryInfo(dir);
            if (info.LinkTarget is not null)
                return false; // never follow a link someone else put in /tmp
            var ownerPath = Path.Combine(dir, OwnerFile);
            if (!File.Exists(ownerPath))
                return !info.EnumerateFileSystemInfos().Any() && now - info.LastWriteTimeUtc > OwnerlessAge;
            return ControlDirectoryOwner.Parse(File.ReadAllText(ownerPath)) is { } owner ? owner.IsDead() : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>A process as /proc knows it, precisely enough to tell it from a later one with the same pid.</summary>
/// <param name="StartTime">Field 22 of /proc/PID/stat: clock ticks after boot.</param>
public sealed record ControlDirectoryOwner(int Pid, long StartTime, string PidNamespace, string BootId)
{
    public static ControlDirectoryOwner? Current() => Of(Environment.ProcessId);

    /// <summary>Null when /proc does not know the pid (it is not running) or cannot be read.</summary>
    public static ControlDirectoryOwner? Of(int pid)
    {
        try
        {
            return StartTimeOf(pid) is { } start
                ? new ControlDirectoryOwner(pid, start, new FileInfo("/proc/self/ns/pid").LinkTarget ?? "", File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim())
                : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Only what can be told for sure: another boot, or (in our pid namespace) a pid that
    /// is gone or now belongs to a process started at another time.</summary>
    public bool IsDead()
    {
        var me = Current();
        if (me is null)
            return false;
        if (BootId != me.BootId)
            return true;
        if (PidNamespace != me.PidNamespace)
            return false;
        return StartTimeOf(Pid) is not { } start || start != StartTime;
    }

    private static long? StartTimeOf(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so count from the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var start) ? start : null;
    }

    public override string ToString() => $"{Pid} {StartTime} {PidNamespace} {BootId}\n";

    public static ControlDirectoryOwner? Parse(string text)
    {
        var f = text.Trim().Split(' ');
        return f.Length == 4 && int.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            && long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
            ? new ControlDirectoryOwner(pid, start, f[2], f[3])
            : null;
    }
}
