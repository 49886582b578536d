using System.Runtime.InteropServices;
using System.Text;

namespace EtcdDr.Cli;

/// <summary>
/// Reads a secret from the controlling terminal with echo off, like age and ssh do: from
/// /dev/tty, not stdin, so stdin can carry the data being encrypted. Returns null without a terminal.
/// </summary>
internal static class TerminalPrompt
{
    private const int LocalFlagsOffset = 12; // c_lflag in glibc's struct termios (four tcflag_t fields)
    private const uint EchoFlag = 0x8;       // ECHO

    public static string? ReadSecret(string prompt) => ReadLine(prompt, echo: false);

    /// <summary>A line from the controlling terminal; echo off for secrets. Null without a terminal.</summary>
    public static string? ReadLine(string prompt, bool echo)
    {
        if (OperatingSystem.IsWindows())
            return null;
        FileStream tty;
        try
        {
            tty = new FileStream("/dev/tty", FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, bufferSize: 0);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        using (tty)
        {
            var fd = (int)tty.SafeFileHandle.DangerousGetHandle();
            // struct termios is 60 bytes on glibc; a larger block leaves room on other libcs.
            var saved = Marshal.AllocHGlobal(256);
            var quiet = Marshal.AllocHGlobal(256);
            var haveTermios = !echo && NativeMethods.tcgetattr(fd, saved) == 0 && NativeMethods.tcgetattr(fd, quiet) == 0;
            if (haveTermios)
            {
                var flags = (uint)Marshal.ReadInt32(quiet, LocalFlagsOffset) & ~EchoFlag;
                Marshal.WriteInt32(quiet, LocalFlagsOffset, (int)flags);
                _ = NativeMethods.tcsetattr(fd, 0, quiet);
            }
            try
            {
                tty.Write(Encoding.UTF8.GetBytes(prompt));
                var line = new List<byte>();
                var one = new byte[1];
                while (tty.Read(one, 0, 1) == 1 && one[0] != (byte)'\n')
                {
                    if (one[0] != (byte)'\r')
                        line.Add(one[0]);
                }
                if (!echo)
                    tty.Write("\n"u8);
                return Encoding.UTF8.GetString([.. line]);
            }
            finally
            {
                if (haveTermios)
                    _ = NativeMethods.tcsetattr(fd, 0, saved);
                Marshal.FreeHGlobal(saved);
                Marshal.FreeHGlobal(quiet);
            }
        }
    }

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int tcgetattr(int fd, IntPtr termios);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int tcsetattr(int fd, int optionalActions, IntPtr termios);
    }
}
