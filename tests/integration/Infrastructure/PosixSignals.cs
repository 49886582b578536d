using System.Runtime.InteropServices;

namespace EtcdDr.IntegrationTests.Infrastructure;

/// <summary>
/// .NET's Process.Kill only sends SIGKILL; a graceful etcd stop (the way systemd or the kubelet stops
/// it) needs SIGTERM, so we call libc's kill(2) directly.
/// </summary>
internal static partial class PosixSignals
{
    private const int SigTerm = 15;

    private const int SigInt = 2;

    public static bool Terminate(int processId) => Kill(processId, SigTerm) == 0;

    /// <summary>What Ctrl-C in a terminal sends.</summary>
    public static bool Interrupt(int processId) => Kill(processId, SigInt) == 0;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
