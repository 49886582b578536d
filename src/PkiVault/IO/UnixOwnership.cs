using System.Runtime.InteropServices;

namespace PkiVault.IO;

/// <summary>
/// chown(2), which .NET has no API for. Used only when running as root, where restoring the
/// recorded owner matters (etcd runs as the etcd user on Kubespray hosts).
/// </summary>
public static class UnixOwnership
{
    public static bool IsRoot => !OperatingSystem.IsWindows() && NativeMethods.geteuid() == 0;

    /// <summary>Sets owner and group; returns false (and leaves the file as is) when not permitted.</summary>
    public static bool TryChown(string path, int uid, int gid) =>
        !OperatingSystem.IsWindows() && NativeMethods.chown(path, uid, gid) == 0;

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern uint geteuid();

        [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int chown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int owner, int group);
    }
}
