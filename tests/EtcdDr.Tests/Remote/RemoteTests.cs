using EtcdDr.Remote;

namespace EtcdDr.Tests.Remote;

public class ShellQuoteTests
{
    [Theory]
    [InlineData("etcdctl", "etcdctl")]
    [InlineData("--data-dir=/var/lib/etcd", "--data-dir=/var/lib/etcd")]
    [InlineData("a b", "'a b'")]
    [InlineData("it's", "'it'\\''s'")]
    [InlineData("", "''")]
    [InlineData("$(rm -rf /)", "'$(rm -rf /)'")]
    [InlineData("a;b|c&d`e`", "'a;b|c&d`e`'")]
    public void Quotes_so_the_remote_shell_gives_back_the_word(string word, string expected) =>
        Assert.Equal(expected, ShellQuote.Quote(word));

    [Fact]
    public async Task A_real_shell_splits_the_quoted_line_back_into_the_same_argv()
    {
        string[] argv = ["printf", "%s\\n", "plain", "two words", "it's", "$HOME", "*", "new\nline", ""];
        var result = await ProcessRunner.RunAsync("sh", ["-c", ShellQuote.Join(argv)]);
        Assert.Equal(string.Join("\n", argv[2..]) + "\n", result.Stdout);
    }
}

public class SshErrorClassifierTests
{
    [Theory]
    [InlineData("root@127.0.0.1: Permission denied (publickey,password).", RemoteFailure.AuthenticationFailed)]
    [InlineData("@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\nHost key verification failed.", RemoteFailure.HostKeyMismatch)]
    [InlineData("No ED25519 host key is known for [127.0.100.1]:2222 and you have requested strict checking.\nHost key verification failed.", RemoteFailure.HostKeyUnknown)]
    [InlineData("ssh: connect to host 127.0.100.9 port 2222: Connection refused", RemoteFailure.Unreachable)]
    [InlineData("ssh: connect to host 10.1.1.1 port 22: Connection timed out", RemoteFailure.Unreachable)]
    public void Ssh_failures(string stderr, RemoteFailure expected)
    {
        var failure = SshErrorClassifier.Classify("cp-1", 255, stderr, privileged: false);
        Assert.Equal(expected, failure!.Failure);
        Assert.StartsWith("cp-1: ", failure.Message);
    }

    [Fact]
    public void Sudo_without_nopasswd() =>
        Assert.Equal(RemoteFailure.SudoRequiresPassword, SshErrorClassifier.Classify("cp-1", 1, "sudo: a password is required\n", privileged: true)!.Failure);

    [Theory]
    [InlineData("bash: line 1: sudo: command not found\n")]
    [InlineData("sh: 1: sudo: not found\n")]
    public void Sudo_missing_is_its_own_failure(string stderr)
    {
        var failure = SshErrorClassifier.Classify("cp-1", 127, stderr, privileged: true)!;
        Assert.Equal(RemoteFailure.SudoMissing, failure.Failure);
        Assert.Contains("sudo is not installed", failure.Message);
        // Not privileged: sudo was never asked for, so the 127 is the command's own.
        Assert.Null(SshErrorClassifier.Classify("cp-1", 127, stderr, privileged: false));
    }

    [Fact]
    public void Exit_255_with_the_connection_alive_is_the_commands_own()
    {
        // Even a message that reads like ssh's own is the command's when the master connection lives.
        const string stderr = "ssh: connect to host 10.0.0.9 port 22: Connection refused\n";
        Assert.Null(SshErrorClassifier.Classify("cp-1", 255, stderr, privileged: false, connectionAlive: true));
        Assert.Equal(RemoteFailure.Unreachable, SshErrorClassifier.Classify("cp-1", 255, stderr, privileged: false, connectionAlive: false)!.Failure);
        Assert.Equal(RemoteFailure.Unreachable, SshErrorClassifier.Classify("cp-1", 255, "mux_client_request_session: session request failed: Session open refused by peer", privileged: false, connectionAlive: true)!.Failure);
        Assert.Equal(RemoteFailure.Unreachable, SshErrorClassifier.Classify("cp-1", 255, "channel 2: open failed: administratively prohibited: open failed\n", privileged: false, connectionAlive: true)!.Failure);
        // A command's own "open failed" is still the command's.
        Assert.Null(SshErrorClassifier.Classify("cp-1", 255, "backup: open failed: /x\n", privileged: false, connectionAlive: true));
    }

    [Fact]
    public void A_remote_command_failing_is_not_an_ssh_failure() =>
        Assert.Null(SshErrorClassifier.Classify("cp-1", 2, "cat: /nope: No such file or directory", privileged: false));

    [Fact]
    public async Task Local_host_runs_streams_and_writes_files()
    {
        await using var host = new LocalHost("here");
        using var dir = new TempDir();
        var path = dir.File("a.key");
        await host.WriteFileAsync(path, new byte[] { 0, 1, 2, 255 }, UnixFileMode.UserRead | UnixFileMode.UserWrite, owner: null, default);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, await host.ReadFileAsync(path, privileged: false, default));
        Assert.True(await host.ExistsAsync(path, false, default));
        var ex = await Assert.ThrowsAsync<RemoteException>(() => host.ReadFileAsync(dir.File("missing"), false, default));
        Assert.Equal(RemoteFailure.CommandFailed, ex.Failure);
        Assert.Contains("No such file", ex.Message);
    }
}
