using System.Globalization;
using System.Text;
using EtcdDr.Remote;

namespace EtcdDr.Topology.Runtimes;

/// <summary>
/// The few things every runtime does on a master, as root, through <see cref="IRemoteHost"/>:
/// run, test paths, read and atomically replace files, and poll until a condition holds.
/// </summary>
public sealed class MasterShell(IRemoteHost host, EtcdRuntimeOptions options)
{
    public IRemoteHost Host => host;
    public EtcdRuntimeOptions Options => options;

    public Task<ProcessResult> RunAsync(IReadOnlyList<string> argv, CancellationToken ct, TimeSpan? timeout = null) =>
        host.RunAsync(argv, new RemoteRunOptions(Privileged: true, Timeout: timeout), ct);

    /// <summary>A command that must succeed; its failure names the host, the command and what it said.</summary>
    public async Task<ProcessResult> MustAsync(IReadOnlyList<string> argv, CancellationToken ct, TimeSpan? timeout = null)
    {
        var result = await RunAsync(argv, ct, timeout).ConfigureAwait(false);
        return result.ExitCode == 0 ? result : throw RemoteException.CommandFailed(host.Name, argv, result);
    }

    public async Task<bool> TestAsync(string test, string path, CancellationToken ct) =>
        (await RunAsync(["test", test, path], ct).ConfigureAwait(false)).ExitCode == 0;

    /// <summary>Which of <paramref name="paths"/> exist, in one round trip (`ls -1d` prints those and complains about the rest).</summary>
    public async Task<HashSet<string>> PresentAsync(IReadOnlyList<string> paths, CancellationToken ct)
    {
        var result = await RunAsync(["ls", "-1d", "--", .. paths], ct).ConfigureAwait(false);
        return result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The entries of a directory (hidden ones too); null when it does not exist.</summary>
    public async Task<IReadOnlyList<string>?> EntriesAsync(string directory, CancellationToken ct)
    {
        if (!await TestAsync("-d", directory, ct).ConfigureAwait(false))
        {
            if (await TestAsync("-e", directory, ct).ConfigureAwait(false))
                throw new DrException($"{host.Name}: {directory} exists but is not a directory; move it aside by hand", FailureKind.Refused);
            return null;
        }
        var result = await MustAsync(["ls", "-A", "--", directory], ct).ConfigureAwait(false);
        return result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    public async Task<string> ReadTextAsync(string path, CancellationToken ct) =>
        Encoding.UTF8.GetString(await host.ReadFileAsync(path, privileged: true, ct).ConfigureAwait(false));

    /// <summary>"644" and "root:root" of a path.</summary>
    public async Task<(string Mode, string Owner)> StatAsync(string path, CancellationToken ct)
    {
        var parts = (await MustAsync(["stat", "-c", "%a %U:%G", "--", path], ct).ConfigureAwait(false)).Stdout.Trim().Split(' ');
        return (parts[0], parts[1]);
    }

    /// <summary>
    /// Replaces <paramref name="path"/> atomically: the content goes into a hidden temporary file in
    /// <paramref name="tempDirectory"/> (same file system, and for a manifest outside the folder
    /// kubelet reads), gets the mode and owner, and is renamed over the target. A failed write
    /// leaves no temporary file behind.
    /// </summary>
    public async Task WriteAtomicallyAsync(string path, string text, string tempDirectory, string mode, string owner, CancellationToken ct)
    {
        var temp = $"{tempDirectory}/.{Path.GetFileName(path)}.{options.Nonce()}.etcd-dr-tmp";
        var bytes = Encoding.UTF8.GetBytes(text);
        try
        {
            await host.StreamInAsync(["install", "-m", mode.PadLeft(4, '0'), "/dev/stdin", temp], RemoteRunOptions.Root,
                (stdin, token) => stdin.WriteAsync(bytes, token).AsTask(), ct).ConfigureAwait(false);
            await MustAsync(["chown", owner, temp], ct).ConfigureAwait(false);
            await MustAsync(["mv", "-f", "-T", "--", temp, path], ct).ConfigureAwait(false);
        }
        catch
        {
            // Not under ct: a cancelled write must clean up too; failing here would hide the real error.
            try { await host.RunAsync(["rm", "-f", "--", temp], RemoteRunOptions.Root with { Timeout = TimeSpan.FromSeconds(30) }, CancellationToken.None).ConfigureAwait(false); }
            catch (DrException) { }
            throw;
        }
    }

    /// <summary>
    /// Polls <paramref name="check"/> (null = done, else why not yet) until it is done or
    /// <paramref name="timeout"/> passes; the failure says what was awaited and the last reason.
    /// </summary>
    public async Task WaitUntilAsync(string what, TimeSpan timeout, Func<CancellationToken, Task<string?>> check, CancellationToken ct)
    {
        var deadline = options.Time.GetUtcNow() + timeout;
        while (true)
        {
            var notYet = await check(ct).ConfigureAwait(false);
            if (notYet is null)
                return;
            if (options.Time.GetUtcNow() >= deadline)
                throw new DrException($"{host.Name}: {what} did not happen within {timeout.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s: {notYet}", FailureKind.General);
            await options.Sleep(options.PollInterval, ct).ConfigureAwait(false);
        }
    }

    /// <summary>`systemctl is-active UNIT`'s word: active, inactive, failed, activating...</summary>
    public async Task<string> UnitStateAsync(string unit, CancellationToken ct)
    {
        var result = await RunAsync(["systemctl", "is-active", unit], ct).ConfigureAwait(false);
        var state = result.Stdout.Trim();
        return state.Length > 0 ? state : "unknown";
    }

    /// <summary>The listening TCP sockets (`ss -Hltn`).</summary>
    public async Task<IReadOnlyList<ListeningSocket>> ListeningAsync(CancellationToken ct)
    {
        var result = await RunAsync(["ss", "-Hltn"], ct).ConfigureAwait(false);
        if (result.ExitCode != 0)
            throw new DrException($"{host.Name}: `ss -Hltn` exited {result.ExitCode.ToString(CultureInfo.InvariantCulture)} ({result.Stderr.Trim()}); etcd-dr needs iproute2's ss to see which ports listen", FailureKind.General);
        return ListeningSocket.Parse(result.Stdout);
    }

    /// <summary>The endpoints of <paramref name="wanted"/> that something listens on.</summary>
    public async Task<IReadOnlyList<Endpoint>> ListeningOfAsync(IReadOnlyList<Endpoint> wanted, CancellationToken ct)
    {
        var sockets = await ListeningAsync(ct).ConfigureAwait(false);
        return wanted.Where(e => sockets.Any(e.IsServedBy)).ToList();
    }
}
