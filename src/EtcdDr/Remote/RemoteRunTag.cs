namespace EtcdDr.Remote;

/// <summary>
/// Marks one remote command so it can be stopped on the host. Killing the local ssh does not end
/// the remote command: without a tty sshd just closes the channel, and a command that never writes
/// (`sleep`, an etcdutl restore) runs on. sshd starts each session's shell in a new session
/// (setsid), so the tag finds that shell and `pkill -s` ends everything it started.
/// </summary>
public sealed class RemoteRunTag
{
    private readonly string _token = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));

    /// <summary>The remote command with the tag in the shell's own command line. `exit $?` keeps
    /// the shell from exec-ing the command away (its command line, with the tag, must stay) while
    /// passing the exit code through.</summary>
    public string Wrap(string remoteCommand) => $"{remoteCommand}; exit $? # etcd-dr-run:{_token}";

    /// <summary>Stops the tagged shell's session. The pattern's bracket keeps pgrep from matching
    /// the shells that run this very command.</summary>
    public IReadOnlyList<string> StopCommand() =>
        ["sh", "-c", "for p in $(pgrep -f -- \"$1\"); do pkill -TERM -s \"$p\"; done; true", "sh", $"etcd-dr-run:[{_token[0]}]{_token[1..]}"];
}
