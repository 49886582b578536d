namespace EtcdDr.Remote;

/// <summary>
/// Reads ssh's exit code and stderr to tell why a session failed. ssh exits 255 for its own errors
/// and passes the remote command's exit code through otherwise; the messages below are OpenSSH's.
/// </summary>
public static class SshErrorClassifier
{
    public static RemoteException? Classify(string host, int exitCode, string stderr, bool privileged)
    {
        var s = stderr;
        if (privileged && (s.Contains("sudo: a password is required", StringComparison.Ordinal) || s.Contains("sudo: a terminal is required", StringComparison.Ordinal)
            || s.Contains("is not in the sudoers file", StringComparison.Ordinal) || s.Contains("sudo: command not found", StringComparison.Ordinal)))
            return new RemoteException(host, RemoteFailure.SudoRequiresPassword,
                "the SSH user may not run commands as root without a password (sudo -n failed); grant NOPASSWD sudo or connect as root", exitCode, stderr);
        if (exitCode != 255)
            return null;
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
