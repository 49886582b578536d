using System.Runtime.InteropServices;
using System.Text;

namespace EtcdDr.Lab;

/// <summary>The few libc calls the lab needs and .NET does not wrap.</summary>
internal static partial class LabNative
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEffectiveUserId();

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int KillNative(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "sethostname", SetLastError = true)]
    private static partial int SetHostNameNative(byte[] name, nuint length);

    [LibraryImport("libc", EntryPoint = "dup2", SetLastError = true)]
    private static partial int Dup2(int oldFd, int newFd);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "mknod", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MknodNative(string path, uint mode, ulong device);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    public static bool IsRoot => GetEffectiveUserId() == 0;

    /// <summary>An O_PATH descriptor of a folder (close it with <see cref="CloseDescriptor"/>): names it as /proc/self/fd/N.</summary>
    public static int OpenFolderPath(string folder)
    {
        const int oPath = 0x200000, oDirectory = 0x10000, oCloexec = 0x80000;
        var fd = Open(folder, oPath | oDirectory | oCloexec, 0);
        return fd >= 0 ? fd : throw new IOException($"cannot open {folder}: errno {Marshal.GetLastPInvokeError()}");
    }

    public static void CloseDescriptor(int fd) => Close(fd);

    /// <summary>
    /// An overlayfs whiteout: a character device 0/0 in the upper layer hides the lower layer's
    /// file of that name, so inside the overlay the file does not exist.
    /// </summary>
    public static void CreateWhiteout(string path)
    {
        const uint characterDevice = 0x2000; // S_IFCHR
        if (File.Exists(path) || Directory.Exists(path))
            File.Delete(path);
        if (MknodNative(path, characterDevice, 0) != 0)
            throw new InvalidOperationException($"mknod {path} c 0 0 failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Sends a signal; false when the process is gone (ESRCH) or not ours.</summary>
    public static bool Kill(int pid, int signal) => pid > 0 && KillNative(pid, signal) == 0;

    /// <summary>Sets the UTS hostname; only meaningful inside a private UTS namespace.</summary>
    public static void SetHostName(string name)
    {
        var bytes = Encoding.ASCII.GetBytes(name);
        if (SetHostNameNative(bytes, (nuint)bytes.Length) != 0)
            throw new InvalidOperationException($"sethostname({name}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>
    /// Points stdin at /dev/null and stdout/stderr at <paramref name="logFile"/> (appending). A daemon
    /// must let go of the pipes of whoever started it, or that caller waits for EOF forever.
    /// </summary>
    public static void RedirectStandardStreams(string logFile)
    {
        const int readOnly = 0, writeOnly = 1, create = 0x40, append = 0x400;
        var devNull = Open("/dev/null", readOnly, 0);
        var log = Open(logFile, writeOnly | create | append, 0x180); // 0600
        if (devNull < 0 || log < 0)
            throw new InvalidOperationException($"cannot open /dev/null or {logFile}: errno {Marshal.GetLastPInvokeError()}");
        Dup2(devNull, 0);
        Dup2(log, 1);
        Dup2(log, 2);
        Close(devNull);
        Close(log);
    }
}
