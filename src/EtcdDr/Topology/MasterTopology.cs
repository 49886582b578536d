namespace EtcdDr.Topology;

/// <summary>Where an etcd tool is on a master.</summary>
/// <param name="Kind">host (a binary on the master), crictl or docker (inside the etcd image), or none.</param>
public sealed record EtcdTool(string Kind, string? Path = null, string? Image = null)
{
    public static readonly EtcdTool None = new("none");
}

/// <summary>The certificate files a member runs with, as paths on the master.</summary>
/// <param name="ClientCert">A client certificate the orchestrator can use to reach this member.</param>
public sealed record EtcdCertPaths(
    string? TrustedCa = null, string? ServerCert = null, string? ServerKey = null,
    string? PeerTrustedCa = null, string? PeerCert = null, string? PeerKey = null,
    string? ClientCert = null, string? ClientKey = null);

/// <summary>What discovery learned about one master, all from its real files.</summary>
/// <param name="DataDir">The data dir as a path ON THE HOST: what a restore moves aside and fills.
/// For kubeadm this is the etcd-data volume's hostPath, not --data-dir (the path inside the pod).</param>
/// <param name="PodDataDir">The data dir as etcd sees it inside its pod (kubeadm: --data-dir) or container
/// (Kubespray docker: ETCD_DATA_DIR, mapped to the host through the -v binds); null for host deployments.</param>
/// <param name="ConfigFile">The file whose flags or variables configure etcd: the manifest, the env file the
/// unit (or docker's --env-file) loads, or the unit/drop-in/wrapper script whose command line carries the flags.</param>
/// <param name="ConfigText">That file's content as read at discovery, so a plan can show each edit
/// from what to what and a journal keeps it (a stopped kubeadm master cannot be rediscovered).</param>
/// <param name="UnitFile">Kubespray/systemd: the etcd unit's path; null for kubeadm.</param>
/// <param name="EtcdUser">The user etcd runs as (the unit's User=), owner of the data dir; null is root.</param>
/// <param name="ContainerName">Kubespray docker: the container's --name (etcd1, ...); null elsewhere.</param>
/// <param name="ContainerEngine">Kubespray docker: the engine that runs it as its API reported it ("docker 20.10.24, API 1.41"); null when not asked.</param>
public sealed record MasterTopology(
    string Host,
    EtcdFlavor Flavor,
    string ConfigFile,
    string MemberName,
    string DataDir,
    IReadOnlyList<string> PeerUrls,
    IReadOnlyList<string> ClientUrls,
    string? InitialCluster,
    string? InitialClusterToken,
    EtcdCertPaths Certs,
    string? EtcdVersion,
    string? Image,
    EtcdTool Etcdctl,
    EtcdTool Etcdutl,
    bool HasKubelet,
    string? KubeletState,
    IReadOnlyList<string> Notes,
    string? PodDataDir = null,
    string? ConfigText = null,
    string? UnitFile = null,
    string? EtcdUser = null,
    string? ContainerName = null,
    string? ContainerEngine = null);
