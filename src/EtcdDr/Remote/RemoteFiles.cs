namespace EtcdDr.Remote;

/// <summary>Small-file reads and atomic writes on a master, in terms of <see cref="IRemoteHost"/>.</summary>
public static class RemoteFiles
{
    /// <summary>Refuses to pull more than this into memory: certificates and env files are tiny.</summary>
    public const int MaxSmallFile = 4 * 1024 * 1024;

    /// <summary>Reads a small file's bytes (certificates, keys, manifests) straight into memory.</summary>
    public static async Task<byte[]> ReadFileAsync(this IRemoteHost host, string path, bool privileged, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await host.StreamOutAsync(["cat", "--", path], new RemoteRunOptions(privileged), async (stdout, token) =>
        {
            var chunk = new byte[81920];
            int n;
            while ((n = await stdout.ReadAsync(chunk, token).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + n > MaxSmallFile)
                    throw new DrException($"{host.Name}:{path} is larger than {MaxSmallFile} bytes; not a certificate or config file", FailureKind.Usage);
                buffer.Write(chunk, 0, n);
            }
        }, ct).ConfigureAwait(false);
        return buffer.ToArray();
    }

    /// <summary>Whether a path exists (as a file or directory) on the host.</summary>
    public static async Task<bool> ExistsAsync(this IRemoteHost host, string path, bool privileged, CancellationToken ct) =>
        (await host.RunAsync(["test", "-e", path], new RemoteRunOptions(privileged), ct).ConfigureAwait(false)).ExitCode == 0;

    /// <summary>
    /// Writes a file atomically: into a temporary name beside it with the final mode and owner, then
    /// renamed over the target, so a reader never sees half a file. A failed write removes the
    /// temporary file: no stray copy of a key is left beside the target.
    /// </summary>
    public static async Task WriteFileAsync(this IRemoteHost host, string path, ReadOnlyMemory<byte> content, UnixFileMode mode, string? owner, CancellationToken ct)
    {
        // Random, so two writers of one path never share (and rename) each other's half-written file.
        var temp = $"{path}.{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4))}.etcd-dr-tmp";
        var octal = Convert.ToString((int)mode, 8).PadLeft(4, '0');
        try
        {
            await host.StreamInAsync(["install", "-m", octal, "/dev/stdin", temp], RemoteRunOptions.Root,
                (stdin, token) => stdin.WriteAsync(content, token).AsTask(), ct).ConfigureAwait(false);
            if (owner is not null)
                await Must(host, ["chown", owner, temp], ct).ConfigureAwait(false);
            await Must(host, ["mv", "-f", "--", temp, path], ct).ConfigureAwait(false);
        }
        catch
        {
            // Not under ct: a cancelled write must clean up too. Failing here would hide the real error.
            try { await host.RunAsync(["rm", "-f", "--", temp], RemoteRunOptions.Root with { Timeout = TimeSpan.FromSeconds(30) }, CancellationToken.None).ConfigureAwait(false); }
            catch (DrException) { }
            throw;
        }
    }

    /// <summary>Runs a privileged command that must succeed.</summary>
    public static async Task<ProcessResult> Must(this IRemoteHost host, IReadOnlyList<string> argv, CancellationToken ct)
    {
        var result = await host.RunAsync(argv, RemoteRunOptions.Root, ct).ConfigureAwait(false);
        if (result.ExitCode != 0)
            throw RemoteException.CommandFailed(host.Name, argv, result);
        return result;
    }
}
