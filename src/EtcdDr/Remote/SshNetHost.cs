using System.Globalization;
using System.Net.Sockets;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace EtcdDr.Remote;

/// <summary>
/// A master over the built-in SSH client (SSH.NET), for machines without an `ssh` binary (a minimal
/// container running scheduled snapshots) or an inventory that says `ssh.client: builtin`. One
/// connection per host, made on first use; each command is an exec channel on it, like OpenSSH's
/// ControlMaster. Host keys are checked against known_hosts as strictly as OpenSSH
/// (<see cref="KnownHosts"/>): unknown refused unless accept-new, changed always refused.
/// What it does not do, by design (use the system OpenSSH for these): ~/.ssh/config, the agent,
/// ProxyJump, certificates (user or host), GSSAPI, password or keyboard-interactive logins.
/// </summary>
public sealed class SshNetHost : ITunnelingHost
{
    private readonly MasterHost _master;
    private readonly SshSettings _ssh;
    private readonly SshOptions _options;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly List<ForwardedPortLocal> _forwards = [];
    private SshClient? _client;
    private bool? _isRoot;
    private bool _disposed;

    public SshNetHost(MasterHost master, SshSettings ssh, SshOptions? options = null)
    {
        Refuse(master.Name, "address", InventoryValidation.AddressProblem(master.Address), master.Address);
        if ((master.User ?? ssh.User) is { } user)
            Refuse(master.Name, "user", InventoryValidation.UserProblem(user), user);
        if ((master.Port ?? ssh.Port) is { } port && port is < 1 or > 65535)
            Refuse(master.Name, "port", "is not a port number (1-65535)", port.ToString(CultureInfo.InvariantCulture));
        // Settings the built-in client cannot honour are refused, not ignored: ignoring a ProxyJump
        // or a config file would connect somewhere the operator did not ask for.
        if (ssh.ProxyJump is not null)
            throw new DrException($"{master.Name}: ssh.proxyJump needs the system OpenSSH client; the built-in client (ssh.client: builtin) does not do ProxyJump", FailureKind.Usage);
        if (ssh.ConfigFile is { } config && config != "/dev/null")
            throw new DrException($"{master.Name}: ssh.configFile needs the system OpenSSH client; the built-in client (ssh.client: builtin) does not read ssh_config", FailureKind.Usage);
        _master = master;
        _ssh = ssh;
        _options = options ?? new SshOptions();
    }

    private static void Refuse(string name, string what, string? problem, string value)
    {
        if (problem is not null)
            throw new DrException($"{name}: {what} '{value}' {problem}", FailureKind.Usage);
    }

    public string Name => _master.Name;

    private int Port => _master.Port ?? _ssh.Port ?? 22;

    private string User => _master.User ?? _ssh.User ?? Environment.UserName;

    private static string Home => Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    /// <summary>As OpenSSH: the inventory's file alone, else ~/.ssh/known_hosts and the system-wide one (new keys go to the first).</summary>
    private KnownHosts KnownHostsFiles() => _ssh.KnownHostsFile is { } file
        ? new KnownHosts([ExpandHome(file)])
        : new KnownHosts([Path.Combine(Home, ".ssh", "known_hosts"), Path.Combine(Home, ".ssh", "known_hosts2"), "/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"]);

    private static string ExpandHome(string path) => path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(Home, path[2..]) : path;

    /// <summary>The inventory's identity file, else the default keys OpenSSH would try (no agent here).</summary>
    private IReadOnlyList<string> IdentityFiles()
    {
        if ((_master.IdentityFile ?? _ssh.IdentityFile) is { } identity)
            return [ExpandHome(identity)];
        return new[] { "id_ed25519", "id_ecdsa", "id_rsa" }.Select(n => Path.Combine(Home, ".ssh", n)).Where(File.Exists).ToList();
    }

    private async Task<SshClient> ConnectedAsync(CancellationToken ct)
    {
        await _connectLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_client is { IsConnected: true })
                return _client;
            _client?.Dispose();
            _client = null;

            var identities = IdentityFiles();
            if (identities.Count == 0)
                throw new RemoteException(Name, RemoteFailure.AuthenticationFailed,
                    "SSH authentication failed (no identity file: set ssh.identityFile; the built-in client has no agent); check the user and identity file");
            PrivateKeyFile[] keys;
            try
            {
                keys = identities.Select(f => new PrivateKeyFile(f)).ToArray();
            }
            catch (Exception ex) when (ex is IOException or SshException or UnauthorizedAccessException)
            {
                throw new RemoteException(Name, RemoteFailure.AuthenticationFailed, $"SSH authentication failed (cannot load the identity file: {ex.Message}); check the user and identity file");
            }

            var knownHosts = KnownHostsFiles();
            var info = new ConnectionInfo(_master.Address, Port, User, new PrivateKeyAuthenticationMethod(User, keys))
            {
                Timeout = _options.ConnectTimeout ?? TimeSpan.FromSeconds(10),
            };
            OfferOnlyKnownKeyTypes(info, knownHosts.KnownKeyTypes(_master.Address, Port));

            var client = new SshClient(info) { KeepAliveInterval = TimeSpan.FromSeconds(15) };
            HostKeyVerdict? refused = null;
            client.HostKeyReceived += (_, e) =>
            {
                var verdict = knownHosts.Check(_master.Address, Port, e.HostKey);
                if (verdict == HostKeyVerdict.Unknown && _options.AcceptNewHostKeys)
                {
                    knownHosts.Add(_master.Address, Port, e.HostKey);
                    verdict = HostKeyVerdict.Known;
                }
                e.CanTrust = verdict == HostKeyVerdict.Known;
                if (!e.CanTrust)
                    refused = verdict;
            };
            try
            {
                await client.ConnectAsync(ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (refused is { } verdict && ex is SshException)
            {
                client.Dispose();
                throw HostKeyRefused(verdict, ex);
            }
            catch (SocketException ex)
            {
                client.Dispose();
                throw new RemoteException(Name, RemoteFailure.Unreachable, $"cannot reach the host over SSH: connect to host {_master.Address} port {Port}: {ex.Message}", 255, ex.Message);
            }
            catch (SshAuthenticationException ex)
            {
                client.Dispose();
                throw new RemoteException(Name, RemoteFailure.AuthenticationFailed, $"SSH authentication failed ({User}@{_master.Address}: Permission denied: {ex.Message}); check the user and identity file", 255, ex.Message);
            }
            catch (Exception ex) when (ex is SshException or TimeoutException or ProxyException || ex is OperationCanceledException && !ct.IsCancellationRequested)
            {
                client.Dispose();
                throw new RemoteException(Name, RemoteFailure.Unreachable, $"cannot reach the host over SSH: {_master.Address} port {Port}: {ex.Message}", 255, ex.Message);
            }
            _client = client;
            return client;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    private RemoteException HostKeyRefused(HostKeyVerdict verdict, Exception ex) => verdict switch
    {
        HostKeyVerdict.Unknown => new RemoteException(Name, RemoteFailure.HostKeyUnknown,
            "the host key is not in known_hosts; verify it and add it, or run once with --accept-new-host-keys", 255, ex.Message),
        HostKeyVerdict.Revoked => new RemoteException(Name, RemoteFailure.HostKeyMismatch,
            "the host key is marked @revoked in known_hosts: do not trust this host until it has a new key", 255, ex.Message),
        _ => new RemoteException(Name, RemoteFailure.HostKeyMismatch,
            "the host key differs from the one in known_hosts: the machine was rebuilt, or someone is in the middle. Check it, then fix known_hosts (ssh-keygen -R)", 255, ex.Message),
    };

    /// <summary>
    /// OpenSSH asks a known host for a key type it already has; without that, a host known by its
    /// ed25519 key that offers RSA first would look "changed". Host certificates are never offered.
    /// </summary>
    private static void OfferOnlyKnownKeyTypes(ConnectionInfo info, IReadOnlySet<string> knownTypes)
    {
        foreach (var algorithm in info.HostKeyAlgorithms.Keys.ToList())
        {
            var keyType = algorithm is "rsa-sha2-256" or "rsa-sha2-512" ? "ssh-rsa" : algorithm;
            if (algorithm.Contains("-cert-", StringComparison.Ordinal) || knownTypes.Count > 0 && !knownTypes.Contains(keyType))
                info.HostKeyAlgorithms.Remove(algorithm);
        }
    }

    public async Task<ProcessResult> RunAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, CancellationToken ct)
    {
        options ??= new RemoteRunOptions();
        var stdin = options.Stdin;
        var result = await ExecuteAsync(argv, options,
            stdin is { } bytes ? (input, token) => input.WriteAsync(bytes, token).AsTask() : null, null, ct).ConfigureAwait(false);
        if (SshErrorClassifier.Classify(Name, result.ExitCode, result.Stderr, options.Privileged, connectionAlive: true) is { } failure)
            throw failure;
        return result;
    }

    public Task StreamOutAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, Func<Stream, CancellationToken, Task> stdout, CancellationToken ct) =>
        StreamAsync(argv, options, null, stdout, ct);

    public Task StreamInAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, Func<Stream, CancellationToken, Task> stdin, CancellationToken ct) =>
        StreamAsync(argv, options, stdin, null, ct);

    private async Task StreamAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, Func<Stream, CancellationToken, Task>? stdin,
        Func<Stream, CancellationToken, Task>? stdout, CancellationToken ct)
    {
        options ??= new RemoteRunOptions();
        var result = await ExecuteAsync(argv, options, stdin, stdout, ct).ConfigureAwait(false);
        if (SshErrorClassifier.Classify(Name, result.ExitCode, result.Stderr, options.Privileged, connectionAlive: true) is { } failure)
            throw failure;
        if (result.ExitCode != 0)
            throw RemoteException.CommandFailed(Name, argv, result);
    }

    /// <summary>
    /// One exec channel: stdin written (and closed) by <paramref name="stdin"/> or closed at once,
    /// stdout handed to <paramref name="stdout"/> as it arrives or collected, stderr collected. Past
    /// the timeout, or cancelled, the command is stopped on the host as OpenSshHost does.
    /// </summary>
    private async Task<ProcessResult> ExecuteAsync(IReadOnlyList<string> argv, RemoteRunOptions options, Func<Stream, CancellationToken, Task>? stdin,
        Func<Stream, CancellationToken, Task>? stdout, CancellationToken ct)
    {
        var remote = await RemoteCommandAsync(argv, options.Privileged, ct).ConfigureAwait(false);
        var timeout = options.Timeout ?? _options.EffectiveCommandTimeout;
        var tag = new RemoteRunTag();
        var client = await ConnectedAsync(ct).ConfigureAwait(false);
        using var timer = new CancellationTokenSource(timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timer.Token);
        // SSH.NET sends EOF on its input stream only after at least one byte was written, so a command
        // whose stdin is absent or turns out empty reads /dev/null instead (a `cat` then ends at once, as
        // under OpenSSH's closed stdin). To know which, the caller's writer fills a pipe and the first
        // chunk (or its end) is awaited before the command starts.
        var stdinPipe = stdin is null ? null : new System.IO.Pipelines.Pipe();
        var writingStdin = stdinPipe is null ? Task.CompletedTask : WriteStdinAsync(stdin!, stdinPipe.Writer, linked.Token);
        var emptyStdin = true;
        if (stdinPipe is not null)
        {
            var first = await stdinPipe.Reader.ReadAsync(linked.Token).ConfigureAwait(false);
            emptyStdin = first.Buffer.IsEmpty && first.IsCompleted;
            stdinPipe.Reader.AdvanceTo(first.Buffer.Start);
        }
        using var command = client.CreateCommand(tag.Wrap(emptyStdin ? remote + " </dev/null" : remote));
        try
        {
            var execution = command.ExecuteAsync(linked.Token);
            var collectedStdout = stdout is null ? new MemoryStream() : null;
            var reading = stdout is null
                ? command.OutputStream.CopyToAsync(collectedStdout!, linked.Token)
                : ConsumeAsync(stdout, command.OutputStream, linked);
            var stderr = new MemoryStream();
            var readingStderr = command.ExtendedOutputStream.CopyToAsync(stderr, linked.Token);
            if (!emptyStdin)
            {
                await using var input = command.CreateInputStream();
                await stdinPipe!.Reader.CopyToAsync(input, linked.Token).ConfigureAwait(false);
            }
            await writingStdin.ConfigureAwait(false);
            await reading.ConfigureAwait(false);
            await execution.ConfigureAwait(false);
            await readingStderr.ConfigureAwait(false);
            var exit = command.ExitStatus ?? (command.ExitSignal is null ? 255 : 128 + SignalNumber(command.ExitSignal));
            return new ProcessResult(exit, collectedStdout is null ? "" : System.Text.Encoding.UTF8.GetString(collectedStdout.GetBuffer(), 0, (int)collectedStdout.Length),
                System.Text.Encoding.UTF8.GetString(stderr.GetBuffer(), 0, (int)stderr.Length));
        }
        catch (Exception ex) when (timer.IsCancellationRequested && !ct.IsCancellationRequested && ex is OperationCanceledException or SshException or IOException)
        {
            await StopOnHostAsync(tag, options.Privileged).ConfigureAwait(false);
            throw new RemoteException(Name, RemoteFailure.TimedOut,
                $"`{ShellQuote.Join(argv)}` timed out after {timeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s and was stopped on the host", -1, ex.Message);
        }
        catch (Exception ex) when (ct.IsCancellationRequested && ex is OperationCanceledException or SshException or IOException)
        {
            await StopOnHostAsync(tag, options.Privileged).ConfigureAwait(false);
            throw new OperationCanceledException(ct);
        }
        catch (SshConnectionException ex)
        {
            throw new RemoteException(Name, RemoteFailure.Unreachable, $"the SSH connection was lost: {ex.Message}", 255, ex.Message);
        }
    }

    /// <summary>The caller's stdin writer into the pipe; the pipe completes with the writer's failure, if any.</summary>
    private static async Task WriteStdinAsync(Func<Stream, CancellationToken, Task> stdin, System.IO.Pipelines.PipeWriter pipe, CancellationToken ct)
    {
        try
        {
            await using (var stream = pipe.AsStream(leaveOpen: true))
                await stdin(stream, ct).ConfigureAwait(false);
            await pipe.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await pipe.CompleteAsync(ex).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The caller's stdout consumer; if it fails, the command is cancelled so nothing waits on it.</summary>
    private static async Task ConsumeAsync(Func<Stream, CancellationToken, Task> stdout, Stream output, CancellationTokenSource linked)
    {
        try
        {
            await stdout(output, linked.Token).ConfigureAwait(false);
            // Whatever the consumer left unread must still be drained for the channel to close.
            await output.CopyToAsync(Stream.Null, linked.Token).ConfigureAwait(false);
        }
        catch
        {
            await linked.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static int SignalNumber(string signal) => signal switch
    {
        "HUP" => 1, "INT" => 2, "KILL" => 9, "PIPE" => 13, "TERM" => 15, _ => 0,
    };

    /// <summary>Best effort over a fresh channel: a host that hangs gets 10 s.</summary>
    private async Task StopOnHostAsync(RemoteRunTag tag, bool privileged)
    {
        try
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var stop = await RemoteCommandAsync(tag.StopCommand(), privileged, limit.Token).ConfigureAwait(false);
            var client = await ConnectedAsync(limit.Token).ConfigureAwait(false);
            using var command = client.CreateCommand(stop);
            await command.ExecuteAsync(limit.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SshException or RemoteException or IOException or SocketException)
        {
        }
    }

    /// <summary>The one string sent: the quoted argv, behind `sudo -n --` when needed.</summary>
    private async Task<string> RemoteCommandAsync(IReadOnlyList<string> argv, bool privileged, CancellationToken ct)
    {
        if (privileged && await NeedsSudoAsync(ct).ConfigureAwait(false))
            return ShellQuote.Join(["sudo", "-n", "--", .. argv]);
        return ShellQuote.Join(argv);
    }

    private async Task<bool> NeedsSudoAsync(CancellationToken ct)
    {
        switch (_ssh.Sudo)
        {
            case "always":
                return true;
            case "never":
                return false;
        }
        if (_isRoot is null)
        {
            var id = await RunAsync(["id", "-u"], null, ct).ConfigureAwait(false);
            _isRoot = id.Stdout.Trim() == "0";
        }
        return !_isRoot.Value;
    }

    /// <summary>A local 127.0.0.1 port forwarded over the connection (direct-tcpip) to host:port as the master sees it.</summary>
    public async Task<System.Net.DnsEndPoint> ForwardAsync(string host, int port, CancellationToken ct)
    {
        var client = await ConnectedAsync(ct).ConfigureAwait(false);
        var local = FreeLoopbackPort();
        var forward = new ForwardedPortLocal("127.0.0.1", (uint)local, host, (uint)port);
        try
        {
            client.AddForwardedPort(forward);
            forward.Start();
        }
        catch (Exception ex) when (ex is SshException or SocketException or InvalidOperationException)
        {
            forward.Dispose();
            throw new RemoteException(Name, RemoteFailure.Unreachable, $"could not open an SSH tunnel to {host}:{port}: {ex.Message}");
        }
        lock (_forwards)
            _forwards.Add(forward);
        return new System.Net.DnsEndPoint("127.0.0.1", local);
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await _connectLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
                return;
            _disposed = true;
            lock (_forwards)
            {
                foreach (var forward in _forwards)
                {
                    try
                    {
                        forward.Stop();
                    }
                    catch (Exception ex) when (ex is SshException or ObjectDisposedException or InvalidOperationException)
                    {
                    }
                    forward.Dispose();
                }
                _forwards.Clear();
            }
            if (_client is { } client)
            {
                try
                {
                    if (client.IsConnected)
                        client.Disconnect();
                }
                catch (Exception ex) when (ex is SshException or ObjectDisposedException or SocketException)
                {
                }
                client.Dispose();
                _client = null;
            }
        }
        finally
        {
            _connectLock.Release();
        }
    }
}
