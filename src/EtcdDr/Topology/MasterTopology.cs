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
    IReadOnlyList<string> Notes);
