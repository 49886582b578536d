namespace EtcdDr.Remote;

/// <summary>How etcd-dr talks SSH, beyond what the inventory says about each master.</summary>
/// <param name="AcceptNewHostKeys">Trust a host key seen for the first time (StrictHostKeyChecking=accept-new);
/// a changed key is refused either way. Off by default: no silent trust.</param>
/// <param name="ConnectTimeout">Per connection attempt.</param>
public sealed record SshOptions(bool AcceptNewHostKeys = false, TimeSpan? ConnectTimeout = null, TimeSpan? CommandTimeout = null)
{
    public TimeSpan EffectiveCommandTimeout => CommandTimeout ?? TimeSpan.FromMinutes(10);
}

/// <summary>
/// A master over the system OpenSSH client, as Ansible does it: the user's ~/.ssh/config, agent,
/// ProxyJump and known_hosts just work. One multiplexed master connection per host
/// (ControlMaster) so a runbook's hundred commands pay one handshake; host keys are checked
/// strictly; privileged commands go through `sudo -n` when the user is not root.
/// </summary>
public sealed class OpenSshHost : ITunnelingHost, IUnixSocketForwardingHost
{
    private readonly MasterHost _master;
    private readonly SshSettings _ssh;
    private readonly SshOptions _options;
    private readonly Lock _controlDirLock = new();
    private string? _controlDir;
    private bool _disposed;
    private bool? _isRoot;

    /// <summary>The environment ssh children inherit: <see cref="SshEnvironment"/>.</summary>
    private readonly IReadOnlyList<string> _environment = SshEnvironment.AllowedNow();

    public OpenSshHost(MasterHost master, SshSettings ssh, SshOptions? options = null)
    {
        // Checked here as well as when an inventory is read: a store URL's host or a host built in
        // code reaches ssh's argument list the same way.
        Refuse(master.Name, "address", InventoryValidation.AddressProblem(master.Address), master.Address);
        if ((master.User ?? ssh.User) is { } user)
            Refuse(master.Name, "user", InventoryValidation.UserProblem(user), user);
        if (ssh.ProxyJump is { } jump)
            Refuse(master.Name, "ProxyJump", InventoryValidation.ProxyJumpProblem(jump), jump);
        if ((master.Port ?? ssh.Port) is { } port && port is < 1 or > 65535)
            Refuse(master.Name, "port", "is not a port number (1-65535)", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
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

    /// <summary>
    /// The folder for this host's ControlMaster socket, made on first use: a host that is never
    /// connected to leaves nothing behind (`inventory check` of 5,000 hosts made 5,000 folders).
    /// A short path: the socket's must fit in a sockaddr_un (108 bytes).
    /// </summary>
    private string ControlDir()
    {
        lock (_controlDirLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _controlDir ??= SshControlDirectory.Create();
        }
    }

    /// <summary>The ssh argument list up to and including the destination, behind `--` so that
    /// nothing after the options is ever read as one. Makes the control folder: this is what ssh
    /// is about to be run with.</summary>
    public IReadOnlyList<string> SshArguments()
    {
        var args = new List<string>
        {
            "-o", "BatchMode=yes",
            "-o", "ControlMaster=auto",
            "-o", $"ControlPath={ControlDir()}/%C",
            "-o", "ControlPersist=120",
            "-o", "StrictHostKeyChecking=" + (_options.AcceptNewHostKeys ? "accept-new" : "yes"),
            "-o", $"ConnectTimeout={(int)(_options.ConnectTimeout ?? TimeSpan.FromSeconds(10)).TotalSeconds}",
            "-o", "ServerAliveInterval=15",
            "-o", "ServerAliveCountMax=3",
            "-o", "LogLevel=ERROR",
            "-T",
        };
        if (_ssh.ConfigFile is { } config)
            args.AddRange(["-F", config]);
        if (_ssh.KnownHostsFile is { } knownHosts)
            args.AddRange(["-o", $"UserKnownHostsFile={knownHosts}", "-o", "GlobalKnownHostsFile=/dev/null"]);
        if ((_master.IdentityFile ?? _ssh.IdentityFile) is { } identity)
            args.AddRange(["-i", identity, "-o", "IdentitiesOnly=yes"]);
        if ((_master.Port ?? _ssh.Port) is { } port)
            args.AddRange(["-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if ((_master.User ?? _ssh.User) is { } user)
            args.AddRange(["-l", user]);
        if (_ssh.ProxyJump is { } jump)
            args.AddRange(["-J", jump]);
        args.AddRange(["--", _master.Address]);
        return args;
    }

    public async Task<ProcessResult> RunAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, CancellationToken ct)
    {
        options ??= new RemoteRunOptions();
        var remote = await RemoteCommandAsync(argv, options.Privileged, ct).ConfigureAwait(false);
        var timeout = options.Timeout ?? _options.EffectiveCommandTimeout;
        var tag = new RemoteRunTag();
        var result = await StoppedOnHostWhenInterrupted(argv, options.Privileged, tag, timeout, () =>
            ProcessRunner.RunAsync("ssh", [.. SshArguments(), tag.Wrap(remote)], new ProcessRunOptions
            {
                StandardInputBytes = options.Stdin,
                Timeout = timeout,
                InheritOnly = _environment,
            }, ct), ct).ConfigureAwait(false);
        if (await ClassifyAsync(result, options.Privileged, ct).ConfigureAwait(false) is { } failure)
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
        var remote = await RemoteCommandAsync(argv, options.Privileged, ct).ConfigureAwait(false);
        var timeout = options.Timeout ?? _options.EffectiveCommandTimeout;
        var tag = new RemoteRunTag();
        var result = await StoppedOnHostWhenInterrupted(argv, options.Privileged, tag, timeout, () =>
            StreamingProcess.RunAsync("ssh", [.. SshArguments(), tag.Wrap(remote)], stdin, stdout, timeout, _environment, ct), ct).ConfigureAwait(false);
        if (await ClassifyAsync(result, options.Privileged, ct).ConfigureAwait(false) is { } failure)
            throw failure;
        if (result.ExitCode != 0)
            throw RemoteException.CommandFailed(Name, argv, result);
    }

    /// <summary>
    /// Runs the local ssh; when it is killed (timeout or cancellation) the command is also stopped on
    /// the host, and a timeout becomes an error naming the host and the command.
    /// </summary>
    private async Task<ProcessResult> StoppedOnHostWhenInterrupted(IReadOnlyList<string> argv, bool privileged, RemoteRunTag tag, TimeSpan timeout,
        Func<Task<ProcessResult>> run, CancellationToken ct)
    {
        try
        {
            return await run().ConfigureAwait(false);
        }
        catch (TimeoutException ex) when (!ct.IsCancellationRequested)
        {
            await StopOnHostAsync(tag, privileged).ConfigureAwait(false);
            throw new RemoteException(Name, RemoteFailure.TimedOut,
                $"`{ShellQuote.Join(argv)}` timed out after {timeout.TotalSeconds.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture)} s and was stopped on the host", -1, ex.Message);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await StopOnHostAsync(tag, privileged).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Best effort, straight through ProcessRunner (not RunAsync, whose own timeout would
    /// come back here): a host that hangs gets 10 s, then its command is left to die with the session.</summary>
    private async Task StopOnHostAsync(RemoteRunTag tag, bool privileged)
    {
        try
        {
            var stop = await RemoteCommandAsync(tag.StopCommand(), privileged, CancellationToken.None).ConfigureAwait(false);
            await ProcessRunner.RunAsync("ssh", [.. SshArguments(), stop], new ProcessRunOptions { Timeout = TimeSpan.FromSeconds(10), InheritOnly = _environment }).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or RemoteException or System.ComponentModel.Win32Exception)
        {
        }
    }

    /// <summary>
    /// ssh exits 255 for its own failures and also passes a remote 255 through. Which one it was is
    /// told by the shared master connection: still running after the command means ssh got there.
    /// </summary>
    private async Task<RemoteException?> ClassifyAsync(ProcessResult result, bool privileged, CancellationToken ct)
    {
        var alive = result.ExitCode == 255 && await MasterConnectionAliveAsync(ct).ConfigureAwait(false);
        return SshErrorClassifier.Classify(Name, result.ExitCode, result.Stderr, privileged, alive);
    }

    /// <summary>`ssh -O check`: exit 0 ("Master running") when the ControlMaster connection is up.</summary>
    public async Task<bool> MasterConnectionAliveAsync(CancellationToken ct)
    {
        try
        {
            var check = await ProcessRunner.RunAsync("ssh", ["-O", "check", .. SshArguments()],
                new ProcessRunOptions { Timeout = TimeSpan.FromSeconds(5), InheritOnly = _environment }, ct).ConfigureAwait(false);
            return check.ExitCode == 0;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>The one string ssh sends: the quoted argv, behind `sudo -n --` when needed.</summary>
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

    /// <summary>
    /// Forwards a free local port on 127.0.0.1 to <paramref name="host"/>:<paramref name="port"/> as
    /// seen from this master, over the shared SSH connection (ssh -O forward). The forward lives as
    /// long as this object.
    /// </summary>
    public async Task<System.Net.DnsEndPoint> ForwardAsync(string host, int port, CancellationToken ct)
    {
        await RunAsync(["true"], null, ct).ConfigureAwait(false); // make sure the master connection is up
        var local = FreeLoopbackPort();
        var spec = $"127.0.0.1:{local}:{host}:{port}";
        var result = await AddForwardAsync(spec, ct).ConfigureAwait(false);
        if (result.ExitCode != 0)
            throw new RemoteException(Name, RemoteFailure.Unreachable, $"could not open an SSH tunnel to {host}:{port}: {result.Stderr.Trim()}", result.ExitCode, result.Stderr);
        lock (_forwards)
        {
            _forwards.Add(spec);
            _keepForwards ??= KeepForwardsAsync(_keepForwardsStop.Token);
        }
        return new System.Net.DnsEndPoint("127.0.0.1", local);
    }

    private Task<ProcessResult> AddForwardAsync(string spec, CancellationToken ct) =>
        ProcessRunner.RunAsync("ssh", ["-O", "forward", "-L", spec, .. SshArguments()],
            new ProcessRunOptions { Timeout = TimeSpan.FromSeconds(15), InheritOnly = _environment }, ct);

    private readonly List<string> _forwards = [];
    private readonly CancellationTokenSource _keepForwardsStop = new();
    private Task? _keepForwards;

    /// <summary>
    /// A tunnel lives in the shared connection, and ControlPersist ends that connection after 120 s
    /// without a session: a forward's listener does not count, so a master left alone for two minutes
    /// (its etcd down while a restore works on the others, slower under load) lost its tunnel and every
    /// later health check of it said "connection refused" although etcd ran there. While tunnels are
    /// open, a session every 30 s keeps the connection, and each forward is asked for again (the same
    /// local port; a forward that exists is accepted as it is), which also restores them after the
    /// connection dropped. If this process dies, the connection still ends after ControlPersist.
    /// </summary>
    private async Task KeepForwardsAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
                await RunAsync(["true"], null, ct).ConfigureAwait(false);
                string[] specs;
                lock (_forwards)
                    specs = [.. _forwards];
                foreach (var spec in specs)
                    await AddForwardAsync(spec, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is RemoteException or TimeoutException or System.ComponentModel.Win32Exception or IOException)
            {
                // The host does not answer now: try again next round; the caller's health checks say what is down.
            }
        }
    }

    /// <summary>
    /// Forwards a new Unix socket in this host's control folder (mode 0700, so only we can use it) to
    /// <paramref name="remoteSocket"/> on the master, over the shared connection (ssh -O forward -L
    /// LOCAL:REMOTE). Disposing it runs ssh -O cancel and deletes the socket file; disposing the host
    /// closes the connection and the folder with anything left in it.
    /// </summary>
    public async Task<IUnixSocketForward> ForwardUnixSocketAsync(string remoteSocket, CancellationToken ct)
    {
        await RunAsync(["true"], null, ct).ConfigureAwait(false); // the master connection is up
        var local = Path.Combine(ControlDir(), "fwd-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4)) + ".sock");
        var spec = $"{local}:{remoteSocket}";
        var result = await ProcessRunner.RunAsync("ssh", ["-O", "forward", "-L", spec, .. SshArguments()],
            new ProcessRunOptions { Timeout = TimeSpan.FromSeconds(15), InheritOnly = _environment }, ct).ConfigureAwait(false);
        if (result.ExitCode != 0)
            throw new RemoteException(Name, RemoteFailure.Unreachable, $"could not forward a local socket to {remoteSocket}: {result.Stderr.Trim()}", result.ExitCode, result.Stderr);
        return new SshSocketForward(this, spec, local);
    }

    private sealed class SshSocketForward(OpenSshHost host, string spec, string local) : IUnixSocketForward
    {
        private int _disposed;

        public string LocalSocket => local;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
                return;
            try
            {
                lock (host._controlDirLock)
                {
                    if (host._disposed)
                        return; // the connection and its folder are gone already
                }
                await ProcessRunner.RunAsync("ssh", ["-O", "cancel", "-L", spec, .. host.SshArguments()],
                    new ProcessRunOptions { Timeout = TimeSpan.FromSeconds(5), InheritOnly = host._environment }).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or System.ComponentModel.Win32Exception or ObjectDisposedException)
            {
                // The master connection is gone, and its forwards with it.
            }
            finally
            {
                // ssh leaves the listening socket's file behind after a cancel.
                try
                {
                    File.Delete(local);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // The control folder went with the host.
                }
            }
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Closes the shared connection and removes the control folder; nothing at all when
    /// this host was never connected to. A second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        await _keepForwardsStop.CancelAsync().ConfigureAwait(false);
        if (_keepForwards is { } keeping)
            await keeping.ConfigureAwait(false);
        string? dir;
        lock (_controlDirLock)
        {
            if (_disposed)
                return;
            dir = _controlDir;
            if (dir is null)
            {
                _disposed = true;
                return;
            }
        }
        // A folder without a socket in it had no connection to close.
        if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any(e => Path.GetFileName(e) != SshControlDirectory.OwnerFile))
        {
            try
            {
                // Close the shared connection now instead of leaving it for ControlPersist. The socket's
                // name (%C) hashes host, port and user, so -O exit needs the same arguments as the
                // commands that opened it, not just the address.
                await ProcessRunner.RunAsync("ssh", ["-O", "exit", .. SshArguments()],
                    new ProcessRunOptions { Timeout = TimeSpan.FromSeconds(5), InheritOnly = _environment }).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or System.ComponentModel.Win32Exception)
            {
                // Nothing to close, or ssh is gone: the master exits on its own after ControlPersist.
            }
        }
        lock (_controlDirLock)
            _disposed = true;
        SshControlDirectory.Delete(dir);
    }
}
