using System.Collections.Concurrent;
using System.Diagnostics;

namespace EtcdDr.Remote;

/// <summary>
/// Last line of defence against leaked child processes (etcd, sshd, ssh masters): everything started through ProcessRunner is tracked here and
/// killed when this process exits, even if a caller forgot to dispose it or the run was
/// interrupted with SIGTERM / Ctrl+C. (A SIGKILLed parent cannot be helped; a child then dies the next
/// time it logs, because its stdout/stderr pipe is gone.)
/// </summary>
public static class ChildProcessReaper
{
    private static readonly ConcurrentDictionary<int, Process> Live = new();

    static ChildProcessReaper()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
    }

    public static void Track(Process process) => Live[process.Id] = process;

    public static void Forget(Process process) => Live.TryRemove(process.Id, out _);

    private static void KillAll()
    {
        foreach (var process in Live.Values)
            ProcessRunner.KillTree(process);
    }
}
