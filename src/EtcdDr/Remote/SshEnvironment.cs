namespace EtcdDr.Remote;

/// <summary>
/// The environment an `ssh` child gets: only what OpenSSH and what it starts (ProxyCommand,
/// LocalCommand, askpass, the agent) use, never the whole of ours. Ours holds secrets
/// (ETCD_DR_PASSPHRASE, AWS_SECRET_ACCESS_KEY, AZURE_STORAGE_KEY, ETCDCTL_PASSWORD ...) that a
/// `SendEnv` in an ssh_config would hand to every master, and a ProxyCommand could read.
/// ETCD_DR_SSH_ENV names more variables to pass (comma or space separated), for a ProxyCommand that
/// needs its own (`aws ssm start-session` and AWS_PROFILE, say).
/// </summary>
public static class SshEnvironment
{
    public const string ExtraVariable = "ETCD_DR_SSH_ENV";

    /// <summary>Names, or prefixes ending in '*'.</summary>
    public static readonly IReadOnlyList<string> Allowed =
    [
        "HOME", "USER", "LOGNAME", "PATH", "SHELL", // SHELL runs ProxyCommand and LocalCommand
        "SSH_AUTH_SOCK", "SSH_AGENT_PID", "SSH_ASKPASS", "SSH_ASKPASS_REQUIRE", "DISPLAY", "WAYLAND_DISPLAY",
        "SSH_SK_PROVIDER", "SSH_SK_HELPER", "SSH_PKCS11_HELPER", // security keys and smart cards
        "KRB5CCNAME", "KRB5_CONFIG", // GSSAPI logins
        "LANG", "LANGUAGE", "LC_*", "TERM", "TZ", "TMPDIR", "XDG_RUNTIME_DIR",
    ];

    public static IReadOnlyList<string> AllowedNow()
    {
        var extra = Environment.GetEnvironmentVariable(ExtraVariable);
        return string.IsNullOrWhiteSpace(extra)
            ? Allowed
            : [.. Allowed, .. extra.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }

    public static bool IsAllowed(string name, IReadOnlyList<string> allowed) =>
        allowed.Any(a => a.EndsWith('*') ? name.StartsWith(a[..^1], StringComparison.Ordinal) : name == a);

    /// <summary>Removes every variable not allowed from a child's environment.</summary>
    public static void Restrict(IDictionary<string, string?> environment, IReadOnlyList<string> allowed)
    {
        foreach (var name in environment.Keys.ToList())
        {
            if (!IsAllowed(name, allowed))
                environment.Remove(name);
        }
    }

    /// <summary>For code that starts ssh itself rather than through <see cref="OpenSshHost"/>.</summary>
    public static void Apply(System.Diagnostics.ProcessStartInfo info) => Restrict(info.Environment, AllowedNow());
}
