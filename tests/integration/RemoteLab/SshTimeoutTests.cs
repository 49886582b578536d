using System.Diagnostics;
using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Remote;

namespace EtcdDr.IntegrationTests.RemoteLab;

/// <summary>
/// A remote command past its timeout, or cancelled, ends both here and on the host: the sshd runs on
/// this machine, so the process table shows whether the remote `sleep` outlived the local ssh.
/// </summary>
public sealed class SshTimeoutTests(SshdFixture sshd) : IClassFixture<SshdFixture>
{
    private OpenSshHost Host() =>
        new(new MasterHost("cp-slow", SshdFixture.Address, sshd.Port),
            new SshSettings(User: "root", IdentityFile: sshd.IdentityFile, KnownHostsFile: sshd.KnownHostsFile, ConfigFile: "/dev/null", Sudo: "never"));

    /// <summary>A sleep no other test runs, so the process table check is about this one alone.</summary>
    private static string UniqueSleep() => (30 + Random.Shared.Next(1, 999) / 1000.0).ToString("0.000", System.Globalization.CultureInfo.InvariantCulture);

    private static async Task AssertGoneAsync(string seconds)
    {
        // The stop is sent before the call returns; give the signal a moment to land.
        for (var i = 0; i < 20 && ProcessTable.FindByCommandLine($"sleep {seconds}").Count > 0; i++)
            await Task.Delay(100);
        Assert.Empty(ProcessTable.FindByCommandLine($"sleep {seconds}"));
    }

    private static async Task WaitRunningAsync(string seconds)
    {
        for (var i = 0; i < 100 && ProcessTable.FindByCommandLine($"sleep {seconds}").Count == 0; i++)
            await Task.Delay(50);
        Assert.NotEmpty(ProcessTable.FindByCommandLine($"sleep {seconds}"));
    }

    [Fact]
    public async Task A_command_past_its_timeout_fails_naming_the_host_and_is_stopped_there()
    {
        await using var host = Host();
        await host.RunAsync(["true"], null, default); // connection up first: the clock is then the command's alone
        var seconds = UniqueSleep();
        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<RemoteException>(() => host.RunAsync(["sleep", seconds], new RemoteRunOptions(Timeout: TimeSpan.FromSeconds(1)), default));
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(8));
        Assert.Equal(RemoteFailure.TimedOut, ex.Failure);
        Assert.Equal($"cp-slow: `sleep {seconds}` timed out after 1 s and was stopped on the host", ex.Message);
        await AssertGoneAsync(seconds);
        // The connection is still good for the next command.
        Assert.True((await host.RunAsync(["true"], null, default)).Succeeded);
    }

    [Fact]
    public async Task A_streamed_command_past_its_timeout_is_stopped_too()
    {
        await using var host = Host();
        var seconds = UniqueSleep();
        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<RemoteException>(() => host.StreamOutAsync(["sh", "-c", $"echo start; sleep {seconds}"],
            new RemoteRunOptions(Timeout: TimeSpan.FromSeconds(2)), (stdout, ct) => stdout.CopyToAsync(Stream.Null, ct), default));
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10));
        Assert.Equal(RemoteFailure.TimedOut, ex.Failure);
        Assert.StartsWith("cp-slow: `sh -c 'echo start; sleep ", ex.Message);
        Assert.EndsWith("timed out after 2 s and was stopped on the host", ex.Message);
        await AssertGoneAsync(seconds);
    }

    [Fact]
    public async Task A_cancelled_command_is_stopped_on_the_host()
    {
        await using var host = Host();
        // Connection up first: the shared master then outlives the cancelled ssh, as in a runbook.
        await host.RunAsync(["true"], null, default);
        var seconds = UniqueSleep();
        using var cts = new CancellationTokenSource();
        var run = host.RunAsync(["sleep", seconds], null, cts.Token);
        await WaitRunningAsync(seconds);
        var clock = Stopwatch.StartNew();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(8));
        await AssertGoneAsync(seconds);
    }

    [Fact]
    public async Task A_cancelled_stream_is_stopped_on_the_host()
    {
        await using var host = Host();
        // Connection up first: the shared master then outlives the cancelled ssh, as in a runbook.
        await host.RunAsync(["true"], null, default);
        var seconds = UniqueSleep();
        using var cts = new CancellationTokenSource();
        var run = host.StreamOutAsync(["sleep", seconds], null, (stdout, ct) => stdout.CopyToAsync(Stream.Null, ct), cts.Token);
        await WaitRunningAsync(seconds);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        await AssertGoneAsync(seconds);
    }
}
