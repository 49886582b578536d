namespace EtcdDr.Remote;

/// <summary>
/// The masters of one cluster and how to reach them: etcd-dr's own inventory file (etcd-dr.yaml),
/// or one read from a Kubespray inventory. `lab up` writes one for the local lab.
/// </summary>
/// <param name="Cluster">Name used in backup keys (&lt;cluster&gt;/snapshots/...). Letters, digits, '-', '_', '.'.</param>
/// <param name="Ssh">Defaults for every master; a master may override port and user.</param>
/// <param name="Masters">Control-plane hosts that run etcd members, in the order operations visit them.</param>
/// <param name="Backup">Where snapshots and PKI archives go; optional.</param>
public sealed record Inventory(string Cluster, SshSettings Ssh, IReadOnlyList<MasterHost> Masters, BackupSettings? Backup = null)
{
    public MasterHost Master(string name) =>
        Masters.FirstOrDefault(m => m.Name == name)
        ?? throw new DrException($"no master named '{name}' in the inventory; known: {string.Join(", ", Masters.Select(m => m.Name))}", FailureKind.Usage);
}

/// <param name="User">SSH user; null: ~/.ssh/config or the current user.</param>
/// <param name="Port">null: 22 or ~/.ssh/config.</param>
/// <param name="IdentityFile">Private key; null: ssh-agent and ~/.ssh defaults.</param>
/// <param name="KnownHostsFile">Host keys to check against; null: ~/.ssh/known_hosts. Checking is
/// always strict; unknown keys are accepted only with --accept-new-host-keys.</param>
/// <param name="ConfigFile">An ssh_config to use instead of ~/.ssh/config (ssh -F).</param>
/// <param name="ProxyJump">Bastion, as ssh -J takes it.</param>
/// <param name="Sudo">Run privileged commands through `sudo -n` when the user is not root:
/// "auto" (default: sudo when the remote user is not root), "always" or "never".</param>
/// <param name="Client">Which SSH transport: "auto" (default: the system OpenSSH when an `ssh`
/// client is installed, else the built-in one), "openssh" or "builtin" (SSH.NET, see SshNetHost).</param>
public sealed record SshSettings(
    string? User = null,
    int? Port = null,
    string? IdentityFile = null,
    string? KnownHostsFile = null,
    string? ConfigFile = null,
    string? ProxyJump = null,
    string Sudo = "auto",
    string Client = "auto");

/// <param name="Name">Inventory name; for Kubespray, the Ansible host name (it names the certs).</param>
/// <param name="Address">Where SSH connects (ansible_host); also the default etcd address.</param>
/// <param name="Port">SSH port override.</param>
/// <param name="User">SSH user override.</param>
/// <param name="EtcdClientUrl">etcd client URL override (a NAT or load-balancer address); by default
/// the first client URL discovery reads from the master.</param>
/// <param name="IdentityFile">SSH private key override (Kubespray's per-host ansible_ssh_private_key_file).</param>
public sealed record MasterHost(string Name, string Address, int? Port = null, string? User = null, string? EtcdClientUrl = null, string? IdentityFile = null);

/// <param name="Destinations">Store URLs: file://, ssh://host/path, s3://bucket/prefix, azblob://account/container/prefix.</param>
/// <param name="Recipients">age recipients (age1...) that can open the backups.</param>
public sealed record BackupSettings(IReadOnlyList<string>? Destinations = null, IReadOnlyList<string>? Recipients = null);
