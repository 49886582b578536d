namespace EtcdDr.Lab;

/// <summary>
/// Writes PEM text to disk the way etcd and kubeadm expect: private keys 0600 from the first byte
/// (never world-readable, not even between create and chmod), certificates 0644. Each file is written
/// to a temporary name and renamed, so a reader never sees half a key.
/// </summary>
public static class PemFiles
{
    private const UnixFileMode SecretMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PublicMode = SecretMode | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    public static void WriteSecret(string path, string pem) => Write(path, pem, SecretMode);

    public static void WritePublic(string path, string pem) => Write(path, pem, PublicMode);

    private static void Write(string path, string pem, UnixFileMode mode)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
            Directory.CreateDirectory(directory);

        var temporary = path + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = mode;
        try
        {
            using (var stream = new FileStream(temporary, options))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(pem);
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }
            // The umask may have narrowed the create mode; set it exactly so certificates stay readable.
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(temporary, mode);
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
