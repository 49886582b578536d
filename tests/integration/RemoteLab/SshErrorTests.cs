using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Remote;

namespace EtcdDr.IntegrationTests.RemoteLab;

/// <summary>
/// Against a real sshd: an unreachable host, a failing remote command, a remote command that itself
/// exits 255 and a missing sudo are four different failures, each naming the host and what it said.
/// </summary>
public sealed class SshErrorTests(SshdFixture sshd) : IClassFixture<SshdFixture>
{
    private SshSettings Settings(string sudo = "never") =>
        new(User: "root", IdentityFile: sshd.IdentityFile, KnownHostsFile: sshd.KnownHostsFile, ConfigFile: "/dev/null", Sudo: sudo);

    private OpenSshHost Host(string name, int? port = null, string sudo = "never") =>
        new(new MasterHost(name, SshdFixture.Address, port ?? sshd.Port), Settings(sudo), new SshOptions(ConnectTimeout: TimeSpan.FromSeconds(5)));

    [Fact]
    public async Task A_closed_port_is_unreachable_and_names_the_host()
    {
        var closed = LoopbackAddresses.FreePort(System.Net.IPAddress.Parse(SshdFixture.Address));
        await using var host = Host("cp-down", closed);
        var ex = await Assert.ThrowsAsync<RemoteException>(() => host.RunAsync(["true"], null, default));
        Assert.Equal(RemoteFailure.Unreachable, ex.Failure);
        Assert.Equal(FailureKind.Unreachable, ex.Kind);
        Assert.StartsWith("cp-down: cannot reach the host over SSH", ex.Message);
        Assert.Contains($"port {closed}: Connection refused", ex.Message);
    }

    [Fact]
    public async Task A_failing_remote_command_is_a_command_failure_with_its_stderr()
    {
        await using var host = Host("cp-1");
        string[] argv = ["sh", "-c", "echo 'etcd data dir is locked' >&2; exit 3"];
        var result = await host.RunAsync(argv, null, default);
        Assert.Equal(3, result.ExitCode);
        Assert.Equal("etcd data dir is locked\n", result.Stderr);

        var ex = await Assert.ThrowsAsync<RemoteException>(() => host.Must(argv, default));
        Assert.Equal(RemoteFailure.CommandFailed, ex.Failure);
        Assert.Equal(FailureKind.General, ex.Kind);
        Assert.StartsWith("cp-1: `sh -c ", ex.Message);
        Assert.EndsWith("exited 3: etcd data dir is locked", ex.Message);
    }

    [Fact]
    public async Task A_remote_command_exiting_255_is_not_reported_unreachable()
    {
        await using var host = Host("cp-1");
        // The very first command of the connection, printing what ssh itself would print when it
        // cannot connect: only the live master connection tells the two apart.
        string[] argv = ["sh", "-c", "echo 'ssh: connect to host 10.0.0.9 port 22: Connection refused' >&2; exit 255"];
        var result = await host.RunAsync(argv, null, default);
        Assert.Equal(255, result.ExitCode);
        Assert.Contains("Connection refused", result.Stderr);

        var streamed = await Assert.ThrowsAsync<RemoteException>(() => host.StreamOutAsync(argv, null, (_, _) => Task.CompletedTask, default));
        Assert.Equal(RemoteFailure.CommandFailed, streamed.Failure);
        Assert.Contains("exited 255", streamed.Message);
        Assert.True(await host.MasterConnectionAliveAsync(default));
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
        // Unprivileged commands need no sudo and still run.
        Assert.True((await host.RunAsync(["true"], null, default)).Succeeded);
    }
}
