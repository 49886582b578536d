using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Remote;

namespace EtcdDr.IntegrationTests.RemoteLab;

/// <summary>
/// What every <see cref="IRemoteHost"/> transport promises, against a real sshd on loopback: argv
/// arrives verbatim, stdin and stdout stream, files are written and read, failures are told apart
/// (unreachable, refused key, wrong identity, a failing command, a command exiting 255, missing
/// sudo), timeouts and cancellation stop the command on the host, known_hosts is checked as
/// strictly as OpenSSH (unknown refused unless accept-new, changed always refused, hashed entries,
/// [host]:port), and a local port is tunnelled to an address the host reaches. One subclass per
/// transport: the system OpenSSH client and the built-in SSH.NET client.
/// </summary>
public abstract class RemoteHostContractTests(SshdFixture sshd) : IDisposable
{
    private readonly TempDirectory _dir = TempDirectory.Create("ssh-contract");

    protected SshdFixture Sshd => sshd;

    /// <summary>The transport under test.</summary>
    protected abstract IRemoteHost Create(MasterHost master, SshSettings ssh, SshOptions options);

    public void Dispose() => _dir.Dispose();

    private string P => sshd.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    protected IRemoteHost Host(string name = "cp-1", int? port = null, string sudo = "never", string? knownHosts = null, bool acceptNew = false,
        string? identity = null, TimeSpan? commandTimeout = null) =>
        Create(new MasterHost(name, SshdFixture.Address, port ?? sshd.Port),
            new SshSettings(User: "root", IdentityFile: identity ?? sshd.IdentityFile, KnownHostsFile: knownHosts ?? sshd.KnownHostsFile, ConfigFile: "/dev/null", Sudo: sudo),
            new SshOptions(AcceptNewHostKeys: acceptNew, ConnectTimeout: TimeSpan.FromSeconds(10), CommandTimeout: commandTimeout));

    [Fact]
    public async Task Argv_arrives_verbatim_whatever_it_contains()
    {
        await using var host = Host();
        string[] awkward = ["plain", "two words", "it's", "\"quoted\"", "$HOME", "`id`", "a;b", "*", "", "line\nbreak", "-n", "ünï"];
        var result = await host.RunAsync(["printf", "%s\\0", .. awkward], null, default);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(awkward, result.Stdout.Split('\0')[..^1]);
    }

    [Fact]
    public async Task Stdin_bytes_reach_the_command_and_no_stdin_is_closed_at_once()
    {
        await using var host = Host();
        var echoed = await host.RunAsync(["cat"], new RemoteRunOptions(Stdin: Encoding.UTF8.GetBytes("from stdin\n")), default);
        Assert.Equal("from stdin\n", echoed.Stdout);
        // cat with no stdin given must see EOF, not wait for the timeout.
        var empty = await host.RunAsync(["cat"], new RemoteRunOptions(Timeout: TimeSpan.FromSeconds(60)), default);
        Assert.Equal((0, ""), (empty.ExitCode, empty.Stdout));
    }

    [Fact]
    public async Task Large_streams_go_both_ways_intact()
    {
        await using var host = Host();
        var data = RandomNumberGenerator.GetBytes(24 << 20);
        var remote = $"{sshd.Root}/stream-{Guid.NewGuid():N}";
        await host.StreamInAsync(["sh", "-c", "cat > \"$1\"", "sh", remote], null, async (stdin, ct) =>
        {
            for (var offset = 0; offset < data.Length; offset += 1 << 20)
                await stdin.WriteAsync(data.AsMemory(offset, 1 << 20), ct);
        }, default);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)),
            (await host.RunAsync(["sha256sum", remote], null, default)).Stdout.Split(' ')[0]);

        using var back = new MemoryStream();
        await host.StreamOutAsync(["cat", remote], null, (stdout, ct) => stdout.CopyToAsync(back, ct), default);
        Assert.Equal(data.Length, back.Length);
        Assert.True(data.AsSpan().SequenceEqual(back.ToArray()));
    }

    [Fact]
    public async Task Files_are_written_with_mode_and_read_back()
    {
        await using var host = Host();
        var path = $"{sshd.Root}/file-{Guid.NewGuid():N}.key";
        var content = RandomNumberGenerator.GetBytes(3000);
        await host.WriteFileAsync(path, content, UnixFileMode.UserRead | UnixFileMode.UserWrite, owner: null, default);
        Assert.Equal(content, await host.ReadFileAsync(path, privileged: true, default));
        Assert.Equal("600", (await host.RunAsync(["stat", "-c", "%a", path], null, default)).Stdout.Trim());
        Assert.True(await host.ExistsAsync(path, privileged: false, default));

        // An empty file: stdin gets EOF with no byte written (SSH.NET sends none by itself then).
        await host.WriteFileAsync(path, ReadOnlyMemory<byte>.Empty, UnixFileMode.UserRead, owner: null, new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token);
        Assert.Empty(await host.ReadFileAsync(path, privileged: true, default));
    }

    [Fact]
    public async Task A_closed_port_is_unreachable_and_names_the_host()
    {
        var closed = LoopbackAddresses.FreePort(IPAddress.Parse(SshdFixture.Address));
        await using var host = Host("cp-down", closed);
        var ex = await Assert.ThrowsAsync<RemoteException>(() => host.RunAsync(["true"], null, default));
        Assert.Equal(RemoteFailure.Unreachable, ex.Failure);
        Assert.Equal(FailureKind.Unreachable, ex.Kind);
        Assert.StartsWith("cp-down: cannot reach the host over SSH", ex.Message);
        Assert.Contains($"port {closed}: Connection refused", ex.Message);
    }

    [Fact]
    public async Task A_wrong_identity_is_an_authentication_failure()
    {
        var other = _dir.Combine($"other-{Guid.NewGuid():N}");
        (await ProcessRunner.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "other", "-f", other])).EnsureSuccess("ssh-keygen");
        await using var host = Host(identity: other);
        var ex = await Assert.ThrowsAsync<RemoteException>(() => host.RunAsync(["true"], null, default));
        Assert.Equal(RemoteFailure.AuthenticationFailed, ex.Failure);
        Assert.StartsWith("cp-1: SSH authentication failed (", ex.Message);
    }

    [Fact]
    public async Task A_failing_remote_command_is_a_command_failure_with_its_stderr()
    {
        await using var host = Host();
        string[] argv = ["sh", "-c", "echo 'etcd data dir is locked' >&2; exit 3"];
        var result = await host.RunAsync(argv, null, default);
        Assert.Equal(3, result.ExitCode);
        Assert.Equal("etcd data dir is locked\n", result.Stderr);

        var ex = await Assert.ThrowsAsync<RemoteException>(() => host.Must(argv, default));
        Assert.Equal(RemoteFailure.CommandFailed, ex.Failure);
        Assert.Equal(FailureKind.General, ex.Kind);
        Assert.StartsWith("cp-1: `sh -c ", ex.Message);
        Assert.EndsWith("exited 3: etcd data dir is locked", ex.Message);

        var streamed = await Assert.ThrowsAsync<RemoteException>(() => host.StreamOutAsync(argv, null, (s, ct) => s.CopyToAsync(Stream.Null, ct), default));
        Assert.Equal(RemoteFailure.CommandFailed, streamed.Failure);
    }

    [Fact]
    public async Task A_remote_command_exiting_255_is_not_reported_unreachable()
    {
        await using var host = Host();
        // The very first command of the connection, printing what ssh itself would print when it cannot connect.
        string[] argv = ["sh", "-c", "echo 'ssh: connect to host 10.0.0.9 port 22: Connection refused' >&2; exit 255"];
        var result = await host.RunAsync(argv, null, default);
        Assert.Equal(255, result.ExitCode);
        Assert.Contains("Connection refused", result.Stderr);

        var streamed = await Assert.ThrowsAsync<RemoteException>(() => host.StreamOutAsync(argv, null, (_, _) => Task.CompletedTask, default));
        Assert.Equal(RemoteFailure.CommandFailed, streamed.Failure);
        Assert.Contains("exited 255", streamed.Message);
        Assert.True((await host.RunAsync(["true"], null, default)).Succeeded);
    }

    [Fact]
    public async Task A_missing_sudo_gets_its_own_message()
    {
        // The sshd's second port gives sessions a PATH without sudo, whether or not this machine has one.
        await using var host = Host("cp-1", sshd.NoSudoPort, sudo: "always");
        Assert.Equal("/nonexistent-etcd-dr-test", (await host.RunAsync(["/bin/sh", "-c", "echo \"${PATH##*:}\""], null, default)).Stdout.Trim());
        var ex = await Assert.ThrowsAsync<RemoteException>(() => host.RunAsync(["true"], RemoteRunOptions.Root, default));
        Assert.Equal(RemoteFailure.SudoMissing, ex.Failure);
        Assert.StartsWith("cp-1: sudo is not installed on the host", ex.Message);
        Assert.True((await host.RunAsync(["true"], null, default)).Succeeded);
    }

    /// <summary>A sleep no other test runs, so the process table check is about this one alone.</summary>
    private static string UniqueSleep() => (30 + Random.Shared.Next(1, 999) / 1000.0 + Random.Shared.Next(1, 99) / 100000.0).ToString("0.00000", System.Globalization.CultureInfo.InvariantCulture);

    private static async Task AssertGoneAsync(string seconds)
    {
        // The stop is sent before the call returns; give the signal time to land on a loaded machine.
        for (var i = 0; i < 100 && ProcessTable.FindByCommandLine($"sleep {seconds}").Count > 0; i++)
            await Task.Delay(100);
        Assert.Empty(ProcessTable.FindByCommandLine($"sleep {seconds}"));
    }

    private static async Task WaitRunningAsync(string seconds)
    {
        for (var i = 0; i < 400 && ProcessTable.FindByCommandLine($"sleep {seconds}").Count == 0; i++)
            await Task.Delay(50);
        Assert.NotEmpty(ProcessTable.FindByCommandLine($"sleep {seconds}"));
    }

    [Fact]
    public async Task A_command_past_its_timeout_fails_naming_the_host_and_is_stopped_there()
    {
        await using var host = Host("cp-slow");
        await host.RunAsync(["true"], null, default); // connection up first: the clock is then the command's alone
        var seconds = UniqueSleep();
        var ex = await Assert.ThrowsAsync<RemoteException>(() => host.RunAsync(["sleep", seconds], new RemoteRunOptions(Timeout: TimeSpan.FromSeconds(1)), default));
        Assert.Equal(RemoteFailure.TimedOut, ex.Failure);
        Assert.Equal($"cp-slow: `sleep {seconds}` timed out after 1 s and was stopped on the host", ex.Message);
        await AssertGoneAsync(seconds);
        Assert.True((await host.RunAsync(["true"], null, default)).Succeeded); // the connection is still good

        var streamed = UniqueSleep();
        var stream = await Assert.ThrowsAsync<RemoteException>(() => host.StreamOutAsync(["sh", "-c", $"echo start; sleep {streamed}"],
            new RemoteRunOptions(Timeout: TimeSpan.FromSeconds(2)), (stdout, ct) => stdout.CopyToAsync(Stream.Null, ct), default));
        Assert.Equal(RemoteFailure.TimedOut, stream.Failure);
        Assert.EndsWith("timed out after 2 s and was stopped on the host", stream.Message);
        await AssertGoneAsync(streamed);
    }

    [Fact]
    public async Task A_cancelled_command_or_stream_is_stopped_on_the_host()
    {
        await using var host = Host("cp-slow");
        await host.RunAsync(["true"], null, default);
        var seconds = UniqueSleep();
        using (var cts = new CancellationTokenSource())
        {
            var run = host.RunAsync(["sleep", seconds], null, cts.Token);
            await WaitRunningAsync(seconds);
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
            await AssertGoneAsync(seconds);
        }
        var streamed = UniqueSleep();
        using (var cts = new CancellationTokenSource())
        {
            var run = host.StreamOutAsync(["sleep", streamed], null, (stdout, ct) => stdout.CopyToAsync(Stream.Null, ct), cts.Token);
            await WaitRunningAsync(streamed);
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
            await AssertGoneAsync(streamed);
        }
    }

    [Fact]
    public async Task An_unknown_host_key_is_refused_without_accept_new_and_recorded_with_it()
    {
        var knownHosts = _dir.Combine($"known_hosts-empty-{Guid.NewGuid():N}");
        File.WriteAllText(knownHosts, "");

        await using (var strict = Host(knownHosts: knownHosts))
        {
            var ex = await Assert.ThrowsAsync<RemoteException>(() => strict.RunAsync(["true"], null, default));
            Assert.Equal(RemoteFailure.HostKeyUnknown, ex.Failure);
            Assert.StartsWith("cp-1: the host key is not in known_hosts", ex.Message);
        }
        Assert.Equal("", File.ReadAllText(knownHosts));

        await using (var trusting = Host(knownHosts: knownHosts, acceptNew: true))
            Assert.True((await trusting.RunAsync(["true"], null, default)).Succeeded);
        // The key written is the sshd's own, under [address]:port as ssh looks it up.
        var written = File.ReadAllText(knownHosts).Split(' ');
        var expected = File.ReadAllLines(sshd.KnownHostsFile)[0].Split(' ');
        Assert.Equal($"[{SshdFixture.Address}]:{P}", written[0]);
        Assert.Equal((expected[1], expected[2]), (written[1], written[2].Trim()));

        // Now known: strict checking accepts it, and so does the system ssh (the line is in its format).
        await using var again = Host(knownHosts: knownHosts);
        Assert.True((await again.RunAsync(["true"], null, default)).Succeeded);
        var system = await ProcessRunner.RunAsync("ssh", ["-F", "/dev/null", "-i", sshd.IdentityFile, "-o", $"UserKnownHostsFile={knownHosts}", "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-p", P, $"root@{SshdFixture.Address}", "true"]);
        Assert.True(system.ExitCode == 0, system.ToString());
    }

    [Fact]
    public async Task A_changed_host_key_is_refused_even_with_accept_new_and_the_entry_is_kept()
    {
        var other = _dir.Combine($"other_key-{Guid.NewGuid():N}");
        (await ProcessRunner.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "other", "-f", other])).EnsureSuccess("ssh-keygen");
        var otherKey = File.ReadAllText(other + ".pub").Split(' ');
        var knownHosts = _dir.Combine($"known_hosts-changed-{Guid.NewGuid():N}");
        var line = $"[{SshdFixture.Address}]:{P} {otherKey[0]} {otherKey[1]}\n";
        File.WriteAllText(knownHosts, line);

        await using var host = Host(knownHosts: knownHosts, acceptNew: true);
        var ex = await Assert.ThrowsAsync<RemoteException>(() => host.RunAsync(["true"], null, default));
        Assert.Equal(RemoteFailure.HostKeyMismatch, ex.Failure);
        Assert.StartsWith("cp-1: the host key differs from the one in known_hosts", ex.Message);
        Assert.Equal(line, File.ReadAllText(knownHosts));
    }

    [Fact]
    public async Task Hashed_known_hosts_entries_patterns_and_bare_address_entries_are_read_as_ssh_reads_them()
    {
        var hostKey = File.ReadAllLines(sshd.KnownHostsFile)[0].Split(' ');
        // Hashed by ssh-keygen -H itself, as HashKnownHosts=yes writes them.
        var hashed = _dir.Combine($"known_hosts-hashed-{Guid.NewGuid():N}");
        File.WriteAllText(hashed, $"[{SshdFixture.Address}]:{P} {hostKey[1]} {hostKey[2]}\n");
        (await ProcessRunner.RunAsync("ssh-keygen", ["-H", "-f", hashed])).EnsureSuccess("ssh-keygen -H");
        Assert.StartsWith("|1|", File.ReadAllText(hashed));
        Assert.DoesNotContain(SshdFixture.Address, File.ReadAllText(hashed));
        await using (var host = Host(knownHosts: hashed))
            Assert.True((await host.RunAsync(["true"], null, default)).Succeeded);

        // As ssh does: with no [address]:port entry, the same key under the bare address is accepted
        // ("found matching key w/out port"), and another key there leaves the host unknown, not changed.
        var bare = _dir.Combine($"known_hosts-bare-{Guid.NewGuid():N}");
        File.WriteAllText(bare, $"{SshdFixture.Address} {hostKey[1]} {hostKey[2]}\n");
        await using (var host = Host(knownHosts: bare))
            Assert.True((await host.RunAsync(["true"], null, default)).Succeeded);
        var otherKey = File.ReadAllText(sshd.IdentityFile + ".pub").Split(' ');
        File.WriteAllText(bare, $"{SshdFixture.Address} {otherKey[0]} {otherKey[1]}\n");
        await using (var host = Host(knownHosts: bare))
            Assert.Equal(RemoteFailure.HostKeyUnknown, (await Assert.ThrowsAsync<RemoteException>(() => host.RunAsync(["true"], null, default))).Failure);

        // A pattern list with a wildcard covers it; a negation in the same list excludes it again.
        var patterns = _dir.Combine($"known_hosts-patterns-{Guid.NewGuid():N}");
        File.WriteAllText(patterns, $"other.example,[{SshdFixture.Address[..^1]}*]:{P} {hostKey[1]} {hostKey[2]}\n");
        await using (var host = Host(knownHosts: patterns))
            Assert.True((await host.RunAsync(["true"], null, default)).Succeeded);
        File.WriteAllText(patterns, $"[{SshdFixture.Address[..^1]}*]:{P},![{SshdFixture.Address}]:{P} {hostKey[1]} {hostKey[2]}\n");
        await using (var host = Host(knownHosts: patterns))
            Assert.Equal(RemoteFailure.HostKeyUnknown, (await Assert.ThrowsAsync<RemoteException>(() => host.RunAsync(["true"], null, default))).Failure);
    }

    [Fact]
    public async Task A_tunnel_reaches_a_port_the_host_listens_on()
    {
        // A one-shot echo service on the sshd's address: the "master's etcd port".
        using var listener = new TcpListener(IPAddress.Parse(SshdFixture.Address), 0);
        listener.Start();
        var target = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serving = Task.Run(async () =>
        {
            using var accepted = await listener.AcceptTcpClientAsync();
            var stream = accepted.GetStream();
            var buffer = new byte[5];
            await stream.ReadExactlyAsync(buffer);
            await stream.WriteAsync(Encoding.ASCII.GetBytes("pong:" + Encoding.ASCII.GetString(buffer)));
        });

        await using var host = Host();
        var tunnelling = Assert.IsAssignableFrom<ITunnelingHost>(host);
        var local = await tunnelling.ForwardAsync(SshdFixture.Address, target, default);
        Assert.Equal("127.0.0.1", local.Host);
        using var client = new TcpClient();
        await client.ConnectAsync(local.Host, local.Port);
        var s = client.GetStream();
        await s.WriteAsync(Encoding.ASCII.GetBytes("hello"));
        var reply = new byte[10];
        await s.ReadExactlyAsync(reply);
        Assert.Equal("pong:hello", Encoding.ASCII.GetString(reply));
        await serving.WaitAsync(TimeSpan.FromSeconds(60));
    }
}

/// <summary>The contract on the system OpenSSH client.</summary>
public sealed class OpenSshHostContractTests(SshdFixture sshd) : RemoteHostContractTests(sshd), IClassFixture<SshdFixture>
{
    protected override IRemoteHost Create(MasterHost master, SshSettings ssh, SshOptions options) => new OpenSshHost(master, ssh, options);

    [Fact]
    public async Task A_remote_255_leaves_the_shared_master_connection_running()
    {
        await using var host = (OpenSshHost)Host();
        var result = await host.RunAsync(["sh", "-c", "exit 255"], null, default);
        Assert.Equal(255, result.ExitCode);
        Assert.True(await host.MasterConnectionAliveAsync(default));
    }
}

/// <summary>The contract on the built-in SSH.NET client, and what it refuses to pretend to do.</summary>
public sealed class BuiltinSshHostContractTests(SshdFixture sshd) : RemoteHostContractTests(sshd), IClassFixture<SshdFixture>
{
    protected override IRemoteHost Create(MasterHost master, SshSettings ssh, SshOptions options) => new SshNetHost(master, ssh, options);

    [Fact]
    public void ProxyJump_and_an_ssh_config_file_are_refused_not_ignored()
    {
        var master = new MasterHost("cp-1", SshdFixture.Address, Sshd.Port);
        var jump = Assert.Throws<DrException>(() => new SshNetHost(master, new SshSettings(ProxyJump: "bastion")));
        Assert.Equal(FailureKind.Usage, jump.Kind);
        Assert.Contains("ProxyJump", jump.Message);
        var config = Assert.Throws<DrException>(() => new SshNetHost(master, new SshSettings(ConfigFile: "/etc/ssh/ssh_config")));
        Assert.Contains("does not read ssh_config", config.Message);
    }

    [Fact]
    public async Task The_factory_picks_the_builtin_client_when_asked_or_when_no_ssh_is_installed()
    {
        var master = new MasterHost("cp-1", SshdFixture.Address, Sshd.Port);
        var settings = new SshSettings(User: "root", IdentityFile: Sshd.IdentityFile, KnownHostsFile: Sshd.KnownHostsFile, Sudo: "never");
        await using (var chosen = new SshHostFactory(new SshOptions(), () => true).Create(master, settings with { Client = "builtin" }))
            Assert.IsType<SshNetHost>(chosen);
        await using (var chosen = new SshHostFactory(new SshOptions(), () => false).Create(master, settings))
        {
            Assert.IsType<SshNetHost>(chosen);
            Assert.Equal("0", (await chosen.RunAsync(["id", "-u"], null, default)).Stdout.Trim());
        }
        await using (var chosen = new SshHostFactory(new SshOptions(), () => true).Create(master, settings))
            Assert.IsType<OpenSshHost>(chosen);
        await using (var chosen = new SshHostFactory(new SshOptions(), () => false).Create(master, settings with { Client = "openssh" }))
            Assert.IsType<OpenSshHost>(chosen);
    }

    [Fact]
    public async Task An_inventory_with_client_builtin_runs_inventory_check_through_the_cli()
    {
        var inventory = Path.Combine(Sshd.Root, $"inventory-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(inventory, $"""
            cluster: builtin-test
            ssh:
              client: builtin
              user: root
              identityFile: {Sshd.IdentityFile}
              knownHostsFile: {Sshd.KnownHostsFile}
            masters:
              - name: cp-1
                address: {SshdFixture.Address}
                port: {Sshd.Port}
            """);
        var check = await CliRunner.RunAsync("inventory", "check", "-i", inventory, "--connect", "--output", "json");
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Contains("ok (root commands run as root)", check.Stdout);

        File.WriteAllText(inventory, File.ReadAllText(inventory).Replace("client: builtin", "client: putty", StringComparison.Ordinal));
        var bad = await CliRunner.RunAsync("inventory", "check", "-i", inventory);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("ssh.client is 'putty'; use auto, openssh or builtin", bad.Stdout + bad.Stderr);
    }
}
