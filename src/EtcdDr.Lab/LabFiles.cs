namespace EtcdDr.Lab;

/// <summary>Small file helpers with explicit modes: what a master holds must look like the real thing.</summary>
internal static class LabFiles
{
    public const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode Public = Private | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    public const UnixFileMode Executable = Public | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
    public const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static void Write(string path, string content, UnixFileMode mode = Public)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, mode);
    }

    public static void Symlink(string path, string target)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (File.Exists(path) || Directory.Exists(path))
            File.Delete(path);
        File.CreateSymbolicLink(path, target);
    }

    public static string Tail(string path, int lines = 30)
    {
        try
        {
            var all = File.ReadAllLines(path);
            return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"({path}: {ex.Message})";
        }
    }
}
