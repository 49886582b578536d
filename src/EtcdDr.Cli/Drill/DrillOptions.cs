using EtcdDr.Drill;
using EtcdDr.Lab;

namespace EtcdDr.Cli.Drill;

/// <summary>`etcd-dr drill` as parsed. Exactly one of <see cref="Lab"/> and <see cref="Inventory"/>.</summary>
/// <param name="Lab">--lab: a fresh local lab per scenario (its flavor, net, ssh port, state folder).</param>
/// <param name="Inventory">-i: a real cluster; destructive, confirmed by the cluster name.</param>
/// <param name="YesDestroy">--yes-destroy CLUSTER: the confirmation without a prompt; must name the inventory's cluster.</param>
/// <param name="StoreUrl">Where the snapshot and PKI archives go (default a file:// store in the report folder).</param>
/// <param name="IdentityFile">age identity (its recipient encrypts, it decrypts); default a new one in the report folder.</param>
/// <param name="Replacements">Real cluster, lose-master: the spare machine per master (NAME=ADDRESS).</param>
public sealed record DrillOptions(
    IReadOnlyList<DrillScenario> Scenarios,
    LabDrillOptions? Lab,
    string? Inventory,
    string? ClusterName,
    string? YesDestroy,
    bool AcceptNewHostKeys,
    bool Tunnel,
    string? ReportDirectory,
    string? HistoryDirectory,
    string? MetricsTextfile,
    string? StoreUrl,
    string? IdentityFile,
    IReadOnlyDictionary<string, string> Replacements,
    TimeSpan RecoveryTimeout);

public sealed record LabDrillOptions(LabFlavor Flavor, int Masters, string Net, int SshPort, string State, bool Keep, bool NoHostEtcdctl = false)
{
    public const string DefaultNet = "127.0.110";
    public const int DefaultSshPort = 2223;
    public const string DefaultState = "/tmp/etcd-dr-drill-lab";
}
