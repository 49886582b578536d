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

    /// <summary>The file's owner and group (symlinks followed), or false when it cannot be read.</summary>
    public static unsafe bool TryGetOwner(string path, out int uid, out int gid)
    {
        uid = gid = -1;
        if (OperatingSystem.IsWindows())
            return false;
        // statx's layout is the same on every architecture, unlike struct stat's.
        var buffer = stackalloc byte[StatxSize];
        if (NativeMethods.statx(AtCurrentDirectory, path, 0, StatxUid | StatxGid, buffer) != 0)
            return false;
        uid = *(int*)(buffer + StatxUidOffset);
        gid = *(int*)(buffer + StatxGidOffset);
        return true;
    }

    private const int AtCurrentDirectory = -100;
    private const uint StatxUid = 0x8;
    private const uint StatxGid = 0x10;
    private const int StatxSize = 256;
    private const int StatxUidOffset = 20;
    private const int StatxGidOffset = 24;

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern unsafe int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte* buffer);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern uint geteuid();

        [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int chown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int owner, int group);
    }
}
