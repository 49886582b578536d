namespace EtcdDr.Remote;

/// <summary>
/// Chooses the SSH transport per the inventory's ssh.client: "openssh" the system client
/// (<see cref="OpenSshHost"/>: ~/.ssh/config, agent, ProxyJump, certificates), "builtin" SSH.NET
/// (<see cref="SshNetHost"/>), "auto" the system client when `ssh` is installed, else the built-in one
/// (a minimal container running scheduled snapshots has no ssh binary).
/// </summary>
public sealed class SshHostFactory(SshOptions options, Func<bool>? systemSshInstalled = null) : IRemoteHostFactory
{
    private readonly Lazy<bool> _systemSsh = new(systemSshInstalled ?? SystemSshInstalled);

    public IRemoteHost Create(MasterHost master, SshSettings ssh) => ssh.Client switch
    {
        "builtin" => new SshNetHost(master, ssh, options),
        "openssh" => new OpenSshHost(master, ssh, options),
        _ => _systemSsh.Value ? new OpenSshHost(master, ssh, options) : new SshNetHost(master, ssh, options),
    };

    /// <summary>An executable `ssh` on PATH.</summary>
    public static bool SystemSshInstalled() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "ssh"))
            .Any(path => File.Exists(path) && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);
}
