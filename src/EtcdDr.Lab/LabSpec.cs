using System.Net;
using System.Text.Json.Serialization;

namespace EtcdDr.Lab;

/// <summary>Which installer's file layout and service management the lab masters imitate.</summary>
public enum LabFlavor
{
    /// <summary>etcd as a static pod: /etc/kubernetes/manifests/etcd.yaml, certs in /etc/kubernetes/pki/etcd.</summary>
    Kubeadm,

    /// <summary>Kubespray's host deployment: etcd.service with EnvironmentFile=/etc/etcd.env, certs in /etc/ssl/etcd/ssl.</summary>
    Kubespray,

    /// <summary>
    /// Kubespray's etcd_deployment_type docker: a real dockerd per master, etcd in a container that
    /// Kubespray's wrapper unit starts with `docker run` (image built offline by `docker import`).
    /// </summary>
    KubesprayDocker,
}

public static class LabFlavors
{
    /// <summary>Both Kubespray deployments share the certificates, /etc/etcd.env and the etcd unit's name.</summary>
    public static bool IsKubespray(this LabFlavor flavor) => flavor is LabFlavor.Kubespray or LabFlavor.KubesprayDocker;

    /// <summary>The flavor's name on the command line and in reports: kubeadm, kubespray, kubespray-docker.</summary>
    public static string Name(this LabFlavor flavor) => flavor switch
    {
        LabFlavor.KubesprayDocker => "kubespray-docker",
        _ => flavor.ToString().ToLowerInvariant(),
    };

    public static LabFlavor Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "kubeadm" => LabFlavor.Kubeadm,
        "kubespray" => LabFlavor.Kubespray,
        "kubespray-docker" or "kubesprayDocker" or "kubespraydocker" => LabFlavor.KubesprayDocker,
        _ => throw new DrException($"unknown lab flavor '{text}': use kubeadm, kubespray or kubespray-docker", FailureKind.Usage),
    };
}

/// <summary>One lab master: its inventory name (also the hostname and, for Kubespray, the cert name) and loopback address.</summary>
public sealed record LabMaster(string Name, IPAddress Address)
{
    public string ClientUrl => $"https://{Address}:{LabSpec.EtcdClientPort}";
    public string PeerUrl => $"https://{Address}:{LabSpec.EtcdPeerPort}";
}

/// <summary>
/// What `lab up` builds. Everything the lab creates lives under <see cref="StateDirectory"/>; the
/// masters are 127.0.X.1..N where X comes from <see cref="Net"/>.
/// </summary>
/// <param name="NoHostEtcdctl">kubeadm only: etcdctl and etcdutl hidden inside the masters, as on a real kubeadm node.</param>
/// <param name="Replaced">Masters replaced by `lab replace` on a new address: name -> address.</param>
public sealed record LabSpec(string StateDirectory, LabFlavor Flavor, int MasterCount, string Net, int SshPort,
    bool NoHostEtcdctl = false, IReadOnlyDictionary<string, string>? Replaced = null)
{
    /// <summary>The host numbers every member certificate covers (NET.1-9): see <see cref="LabPki.IssueEtcdMember"/>.</summary>
    public const int MaxHostNumber = 9;

    public const int EtcdClientPort = 2379;
    public const int EtcdPeerPort = 2380;
    public const int EtcdMetricsPort = 2381;
    public const string DefaultState = "/tmp/etcd-dr-lab";
    public const string DefaultNet = "127.0.100";
    public const int DefaultSshPort = 2222;

    // The masters overlay these host folders; a state folder below one of them would be seen
    // through the overlay inside a master and writes to it would land in the wrong place.
    private static readonly string[] Overlaid = ["/etc", "/usr/local", "/var/lib", "/run", "/var/run"];

    [JsonIgnore]
    public IReadOnlyList<LabMaster> Masters =>
        [.. Enumerable.Range(1, MasterCount).Select(i => $"master-{i}")
            .Select(name => new LabMaster(name, IPAddress.Parse(Replaced?.GetValueOrDefault(name) ?? $"{Net}.{name["master-".Length..]}")))];

    public LabMaster Master(string name) =>
        Masters.FirstOrDefault(m => m.Name == name)
        ?? throw new DrException($"no lab master named '{name}'; the lab has {string.Join(", ", Masters.Select(m => m.Name))}", FailureKind.Usage);

    /// <summary>"master-1=https://127.0.100.1:2380,...": the initial cluster every member starts with.</summary>
    [JsonIgnore]
    public string InitialCluster => string.Join(',', Masters.Select(m => $"{m.Name}={m.PeerUrl}"));

    public IEnumerable<string> Problems()
    {
        if (MasterCount is < 1 or > 9)
            yield return $"--masters must be between 1 and 9, not {MasterCount}";
        var octets = Net.Split('.');
        if (octets.Length != 3 || octets[0] != "127" || !octets.All(o => byte.TryParse(o, out _)))
            yield return $"--net must be the first three octets of a loopback /24 such as 127.0.100, not '{Net}'";
        else if (Net == "127.0.0")
            yield return "--net 127.0.0 would put a master on 127.0.0.1, which the host itself uses";
        if (SshPort is < 1 or > 65535)
            yield return $"--ssh-port {SshPort} is not a TCP port";
        if (NoHostEtcdctl && Flavor == LabFlavor.Kubespray)
            yield return "--no-host-etcdctl is for the kubeadm flavor (Kubespray installs etcdctl on the host); kubespray-docker always hides it";
        if (!Path.IsPathRooted(StateDirectory))
            yield return $"--state must be an absolute path, not '{StateDirectory}'";
        else if (Path.GetFullPath(StateDirectory) == "/")
            yield return "--state / would make lab down delete the whole machine";
        else if (Overlaid.Any(o => IsUnder(Path.GetFullPath(StateDirectory), o)))
            yield return $"--state {StateDirectory} lies under {string.Join(", ", Overlaid)}, which every master overlays; pick a folder elsewhere (default {DefaultState})";
    }

    private static bool IsUnder(string path, string folder) =>
        path == folder || path.StartsWith(folder + "/", StringComparison.Ordinal);
}
