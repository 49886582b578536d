namespace EtcdDr.Lab;

/// <summary>
/// Where everything of one lab lives on the host. The layout (docs/lab.md):
/// <code>
/// STATE/lab.json                 what `lab up` built (read by down, status, break)
/// STATE/etcd-dr.yaml             the inventory for the rest of the tool
/// STATE/ssh/                     id_ed25519(.pub), known_hosts, authorized_keys
/// STATE/client/                  ca.crt, client.crt, client.key: an etcd client identity for the host
/// STATE/masters/NAME/upper/X     overlay upper dirs: what the master wrote to /etc, /usr/local, /var/lib
/// STATE/masters/NAME/work/X      overlay work dirs
/// STATE/masters/NAME/ssh/        host key and sshd_config
/// STATE/masters/NAME/run/        init.pid, control.sock, ready, sshd.pid
/// STATE/masters/NAME/log/        init.log, sshd.log, etcd.log, kube-*.log (one per unit or pod)
/// STATE/bin/                     etcd, etcdctl, etcdutl as the etcd image's programs (kubeadm)
/// </code>
/// </summary>
public sealed record LabPaths(string Root)
{
    public string StateFile => Path.Combine(Root, "lab.json");
    public string Inventory => Path.Combine(Root, "etcd-dr.yaml");
    public string SshDirectory => Path.Combine(Root, "ssh");
    public string ClientKey => Path.Combine(SshDirectory, "id_ed25519");
    public string KnownHosts => Path.Combine(SshDirectory, "known_hosts");
    public string AuthorizedKeys => Path.Combine(SshDirectory, "authorized_keys");
    public string ClientDirectory => Path.Combine(Root, "client");
    public string ClientCa => Path.Combine(ClientDirectory, "ca.crt");
    public string ClientCert => Path.Combine(ClientDirectory, "client.crt");
    public string ClientCertKey => Path.Combine(ClientDirectory, "client.key");
    public string MastersDirectory => Path.Combine(Root, "masters");

    /// <summary>
    /// Empty files that each kubeadm master's init binds the host's etcd, etcdctl and etcdutl onto
    /// (in its own mount namespace), before it may hide /usr/bin's: the etcd image's tools.
    /// </summary>
    public string BinDirectory => Path.Combine(Root, "bin");

    public MasterPaths Master(string name) => new(Path.Combine(MastersDirectory, name));
}

/// <summary>One master's subtree of the state folder, seen from the host.</summary>
public sealed record MasterPaths(string Root)
{
    /// <summary>The host folders each master overlays, and the name of their upper dir.</summary>
    public static readonly IReadOnlyList<(string Target, string Name)> Overlays =
        [("/etc", "etc"), ("/usr/local", "usr-local"), ("/var/lib", "var-lib")];

    /// <summary>With --no-host-etcdctl: /usr/bin is overlaid too, its upper layer holding whiteouts.</summary>
    public static readonly (string Target, string Name) UsrBin = ("/usr/bin", "usr-bin");

    /// <summary>The programs --no-host-etcdctl hides in /usr/bin and /usr/local/bin.</summary>
    public static readonly IReadOnlyList<string> HiddenTools = ["etcdctl", "etcdutl"];

    public string Upper(string name) => Path.Combine(Root, "upper", name);
    public string Work(string name) => Path.Combine(Root, "work", name);

    /// <summary>The host path of a file the master sees at <paramref name="insidePath"/> (before it starts).</summary>
    public string Inside(string insidePath)
    {
        foreach (var (target, name) in Overlays)
        {
            if (insidePath.StartsWith(target + "/", StringComparison.Ordinal))
                return Path.Combine(Upper(name), insidePath[(target.Length + 1)..]);
        }
        throw new ArgumentException($"{insidePath} is not in a folder the lab overlays", nameof(insidePath));
    }

    public string SshDirectory => Path.Combine(Root, "ssh");
    public string HostKey => Path.Combine(SshDirectory, "ssh_host_ed25519_key");
    public string SshdConfig => Path.Combine(SshDirectory, "sshd_config");
    public string RunDirectory => Path.Combine(Root, "run");
    public string InitPid => Path.Combine(RunDirectory, "init.pid");
    public string ControlSocket => Path.Combine(RunDirectory, "control.sock");
    public string Ready => Path.Combine(RunDirectory, "ready");
    public string SshdPid => Path.Combine(RunDirectory, "sshd.pid");
    public string LogDirectory => Path.Combine(Root, "log");
    public string InitLog => Path.Combine(LogDirectory, "init.log");
    public string SshdLog => Path.Combine(LogDirectory, "sshd.log");
    public string EtcdLog => Path.Combine(LogDirectory, "etcd.log");
    public string Log(string unit) => Path.Combine(LogDirectory, unit + ".log");
}
