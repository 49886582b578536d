namespace EtcdDr.Remote;

/// <summary>
/// Reads ssh's exit code and stderr to tell why a session failed. ssh exits 255 for its own errors
/// and passes the remote command's exit code through otherwise; the messages below are OpenSSH's.
/// </summary>
public static class SshErrorClassifier
{
    /// <param name="connectionAlive">For exit 255 only: the multiplexed master connection still runs
    /// after the command (ssh -O check). Then ssh itself was fine and 255 is the remote command's own
    /// exit code, a command failure like any other, not "unreachable".</param>
    public static RemoteException? Classify(string host, int exitCode, string stderr, bool privileged, bool connectionAlive = false)
    {
        var s = stderr;
        // The remote shell's "command not found" for sudo itself: bash says "sudo: command not found", dash "sudo: not found".
        if (privileged && exitCode == 127 && (s.Contains("sudo: command not found", StringComparison.Ordinal) || s.Contains("sudo: not found", StringComparison.Ordinal)))
            return new RemoteException(host, RemoteFailure.SudoMissing,
                "sudo is not installed on the host, and the command must run as root (the SSH user is not root, or ssh.sudo is 'always'): install sudo, or connect as root", exitCode, stderr);
        if (privileged && (s.Contains("sudo: a password is required", StringComparison.Ordinal) || s.Contains("sudo: a terminal is required", StringComparison.Ordinal)
            || s.Contains("is not in the sudoers file", StringComparison.Ordinal)))
            return new RemoteException(host, RemoteFailure.SudoRequiresPassword,
                "the SSH user may not run commands as root without a password (sudo -n failed); grant NOPASSWD sudo or connect as root", exitCode, stderr);
        if (exitCode != 255)
            return null;
        if (connectionAlive)
        {
            // The shared connection is up but this session could not open (MaxSessions, a dying master).
            if (s.Contains("mux_client", StringComparison.Ordinal) || s.Contains("Session open refused", StringComparison.Ordinal)
                || System.Text.RegularExpressions.Regex.IsMatch(s, @"^channel \d+: open failed", System.Text.RegularExpressions.RegexOptions.Multiline))
                return new RemoteException(host, RemoteFailure.Unreachable, "the SSH connection is up but refused a new session: " + FirstLine(s), exitCode, stderr);
            return null;
        }
        if (s.Contains("REMOTE HOST IDENTIFICATION HAS CHANGED", StringComparison.Ordinal) || s.Contains("Host key for", StringComparison.Ordinal) && s.Contains("has changed", StringComparison.Ordinal))
            return new RemoteException(host, RemoteFailure.HostKeyMismatch,
                "the host key differs from the one in known_hosts: the machine was rebuilt, or someone is in the middle. Check it, then fix known_hosts (ssh-keygen -R)", exitCode, stderr);
        if (s.Contains("Host key verification failed", StringComparison.Ordinal) || s.Contains("No ED25519 host key is known", StringComparison.Ordinal)
            || s.Contains("host key is known for", StringComparison.Ordinal))
            return new RemoteException(host, RemoteFailure.HostKeyUnknown,
                "the host key is not in known_hosts; verify it and add it, or run once with --accept-new-host-keys", exitCode, stderr);
        if (s.Contains("Permission denied", StringComparison.Ordinal) || s.Contains("Too many authentication failures", StringComparison.Ordinal))
            return new RemoteException(host, RemoteFailure.AuthenticationFailed,
                "SSH authentication failed (" + FirstLine(s) + "); check the user and identity file", exitCode, stderr);
        return new RemoteException(host, RemoteFailure.Unreachable, "cannot reach the host over SSH: " + FirstLine(s), exitCode, stderr);
    }

    private static string FirstLine(string s) =>
        s.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
         .FirstOrDefault(l => !l.StartsWith("Warning: Permanently added", StringComparison.Ordinal)) ?? "no message";
}
