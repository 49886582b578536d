using System.Collections.Concurrent;
using System.Diagnostics;

namespace EtcdDr.IntegrationTests.Infrastructure;

/// <summary>
/// Last line of defence against leaked etcd processes: everything the tests start is tracked here and
/// killed when the test host exits, even if a test forgot to dispose its cluster or the run was
/// interrupted with SIGTERM / Ctrl+C. (A SIGKILLed test host cannot be helped; etcd then dies the next
/// time it logs, because its stdout/stderr pipe is gone.)
/// </summary>
internal static class ChildProcessReaper
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
