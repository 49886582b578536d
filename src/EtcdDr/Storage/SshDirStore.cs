using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using EtcdDr.Remote;

namespace EtcdDr.Storage;

/// <summary>
/// A directory on another host over SSH: ssh://[user@]host[:port]/path. Authentication and host
/// keys are the user's own (~/.ssh/config, agent, known_hosts), as for the masters; `?identity=`
/// and `?known_hosts=` name files for hosts outside the SSH config. Writes stream into a hidden
/// temporary name with mode 0600 and are renamed only when complete.
/// </summary>
public sealed class SshDirStore : ISnapshotStore, ITemporaryListing
{
    private readonly OpenSshHost _host;
    private readonly string _root;

    public SshDirStore(StoreUrl url)
    {
        _root = url.Path.TrimEnd('/');
        if (_root.Length == 0)
            throw new DrException($"{url.Original}: give a directory (ssh://host/var/backups/etcd)", FailureKind.Usage);
        var settings = new SshSettings(User: url.User, Port: url.Port, IdentityFile: url.Query.GetValueOrDefault("identity"),
            KnownHostsFile: url.Query.GetValueOrDefault("known_hosts"), Sudo: "never");
        _host = new OpenSshHost(new MasterHost(url.Host, url.Host), settings);
        Description = $"ssh://{(url.User is null ? "" : url.User + "@")}{url.Host}{(url.Port is { } p ? ":" + p : "")}{_root}/";
    }

    public string Description { get; }

    private string PathOf(string key)
    {
        if (key.Split('/').Any(part => part is ".." or "."))
            throw new DrException($"key '{key}' points outside {Description}", FailureKind.Usage);
        return $"{_root}/{key}";
    }

    public async Task WriteAsync(string key, Func<Stream, CancellationToken, Task> writer, CancellationToken ct)
    {
        var path = PathOf(key);
        var dir = path[..path.LastIndexOf('/')];
        var temp = $"{dir}/{StoreLayout.TempMarker}{Guid.NewGuid().ToString("N")[..12]}-{path[(dir.Length + 1)..]}";
        await Must(["mkdir", "-p", "--", dir], ct).ConfigureAwait(false);
        try
        {
            await _host.StreamInAsync(["install", "-m", "0600", "/dev/stdin", temp], null, writer, ct).ConfigureAwait(false);
            await Must(["mv", "-f", "--", temp, path], ct).ConfigureAwait(false);
        }
        catch
        {
            await _host.RunAsync(["rm", "-f", "--", temp], null, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    public IAsyncEnumerable<StoreObject> ListAsync(string prefix, CancellationToken ct) => EnumerateAsync(prefix, temporary: false, ct);

    public IAsyncEnumerable<StoreObject> ListTemporaryAsync(string prefix, CancellationToken ct) => EnumerateAsync(prefix, temporary: true, ct);

    private async IAsyncEnumerable<StoreObject> EnumerateAsync(string prefix, bool temporary, [EnumeratorCancellation] CancellationToken ct)
    {
        var slash = prefix.LastIndexOf('/');
        var start = slash < 0 ? _root : PathOf(prefix[..slash]);
        if ((await _host.RunAsync(["test", "-d", start], null, ct).ConfigureAwait(false)).ExitCode != 0)
        {
            if ((await _host.RunAsync(["test", "-d", _root], null, ct).ConfigureAwait(false)).ExitCode != 0)
                throw new DrException($"{Description}: the directory does not exist", FailureKind.Usage);
            yield break;
        }
        var listing = await Must(["find", start, "-type", "f", "-printf", "%P\\t%s\\t%T@\\n"], ct).ConfigureAwait(false);
        var relativeStart = start.Length > _root.Length ? start[(_root.Length + 1)..] + "/" : "";
        foreach (var line in listing.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split('\t');
            var key = relativeStart + f[0];
            if (StoreLayout.IsTemporary(key) != temporary || !key.StartsWith(prefix, StringComparison.Ordinal))
                continue;
            var modified = DateTimeOffset.FromUnixTimeMilliseconds((long)(double.Parse(f[2], CultureInfo.InvariantCulture) * 1000));
            yield return new StoreObject(key, long.Parse(f[1], CultureInfo.InvariantCulture), modified);
        }
    }

    public async Task<Stream> OpenReadAsync(string key, CancellationToken ct)
    {
        var path = PathOf(key);
        if ((await _host.RunAsync(["test", "-f", path], null, ct).ConfigureAwait(false)).ExitCode != 0)
            throw new DrException($"{Description}{key}: no such object", FailureKind.Usage);
        var info = new ProcessStartInfo("ssh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        SshEnvironment.Apply(info); // like every other ssh child: no passphrase or store secret in its environment
        foreach (var a in _host.SshArguments())
            info.ArgumentList.Add(a);
        info.ArgumentList.Add(ShellQuote.Join(["cat", "--", path]));
        var process = Process.Start(info) ?? throw new DrException("could not start ssh", FailureKind.General);
        ChildProcessReaper.Track(process);
        return new ProcessOutputStream(process, $"{Description}{key}");
    }

    public async Task DeleteAsync(string key, CancellationToken ct) => await Must(["rm", "-f", "--", PathOf(key)], ct).ConfigureAwait(false);

    private async Task<ProcessResult> Must(IReadOnlyList<string> argv, CancellationToken ct)
    {
        var result = await _host.RunAsync(argv, null, ct).ConfigureAwait(false);
        return result.ExitCode == 0 ? result : throw RemoteException.CommandFailed(_host.Name, argv, result);
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    /// <summary>A remote `cat`'s stdout; its end is checked against the exit code, so a cut connection
    /// reads as an error rather than as a short file.</summary>
    private sealed class ProcessOutputStream(Process process, string what) : Stream
    {
        private readonly Task<string> _stderr = process.StandardError.ReadToEndAsync();
        private readonly Stream _inner = process.StandardOutput.BaseStream;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                if (process.ExitCode != 0)
                    throw new DrException($"{what}: reading failed (ssh exit {process.ExitCode}): {(await _stderr.ConfigureAwait(false)).Trim()}", FailureKind.Unreachable);
            }
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private bool _disposed;

        protected override void Dispose(bool disposing)
        {
            // Readers dispose their stream and so do their owners: the second call is a no-op.
            if (disposing && !_disposed)
            {
                _disposed = true;
                if (!process.HasExited)
                    ProcessRunner.KillTree(process);
                ChildProcessReaper.Forget(process);
                process.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
