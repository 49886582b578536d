using System.Runtime.InteropServices;

namespace EtcdDr.Snapshots;

/// <summary>What a path names, by stat (never by opening it: opening a FIFO blocks until a writer comes).</summary>
public enum InputFileType
{
    Missing,
    Regular,
    Directory,
    Fifo,
    CharacterDevice,
    BlockDevice,
    Socket,
    Other,
}

/// <summary>
/// Opening input files that may not be regular: a FIFO (or a process substitution) can be read only
/// once and its open blocks until a writer appears, so a verb either refuses it before opening or
/// reads it once with an open that Ctrl-C can interrupt.
/// </summary>
public static partial class InputFile
{
    /// <summary>The type of what <paramref name="path"/> names, following symlinks (statx, whose
    /// layout is the same on every Linux architecture; elsewhere regular or directory only).</summary>
    public static InputFileType TypeOf(string path)
    {
        if (!OperatingSystem.IsLinux())
            return Directory.Exists(path) ? InputFileType.Directory : File.Exists(path) ? InputFileType.Regular : InputFileType.Missing;
        Span<byte> buffer = stackalloc byte[256];
        if (Statx(AtFdCwd, path, 0, StatxType, ref MemoryMarshal.GetReference(buffer)) != 0)
            return InputFileType.Missing;
        var mode = BitConverter.ToUInt16(buffer[28..30]) & 0xF000;
        return mode switch
        {
            0x8000 => InputFileType.Regular,
            0x4000 => InputFileType.Directory,
            0x1000 => InputFileType.Fifo,
            0x2000 => InputFileType.CharacterDevice,
            0x6000 => InputFileType.BlockDevice,
            0xC000 => InputFileType.Socket,
            _ => InputFileType.Other,
        };
    }

    public static string Describe(InputFileType type) => type switch
    {
        InputFileType.Fifo => "a FIFO (named pipe)",
        InputFileType.CharacterDevice => "a character device",
        InputFileType.BlockDevice => "a block device",
        InputFileType.Socket => "a socket",
        InputFileType.Directory => "a directory",
        _ => "not a regular file",
    };

    /// <summary>Refuses anything but a regular file, for readers that read a file more than once or need its size.</summary>
    public static void RequireRegular(string path, string verb)
    {
        var type = TypeOf(path);
        if (type == InputFileType.Missing)
            throw new DrException($"{path}: no such file", FailureKind.Usage);
        if (type != InputFileType.Regular)
            throw new DrException($"{path} is {Describe(type)}, not a regular file: {verb} reads it more than once; copy it to a file first", FailureKind.Usage);
    }

    /// <summary>
    /// Opens a file for one sequential read. A FIFO's open waits for its writer on a worker thread,
    /// so that an interrupt (or no writer ever) ends the wait instead of hanging the process.
    /// </summary>
    public static async Task<Stream> OpenSequentialAsync(string path, int bufferSize, CancellationToken ct)
    {
        FileStream Open() => new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize, FileOptions.SequentialScan);
        if (TypeOf(path) != InputFileType.Fifo)
            return Open();
        var opening = Task.Run(Open, CancellationToken.None);
        try
        {
            return await opening.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The open may still complete when a writer comes; close it then, nobody will read.
            _ = opening.ContinueWith(t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            throw;
        }
    }

    private const int AtFdCwd = -100;
    private const uint StatxType = 0x0001; // STATX_TYPE

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, ref byte buffer);
}
