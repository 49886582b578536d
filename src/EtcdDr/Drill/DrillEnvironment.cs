using EtcdDr.Etcd;
using EtcdDr.Remote;
using PkiVault.Archive;

namespace EtcdDr.Drill;

/// <summary>
/// Everything a drill needs from the world around it, supplied by the CLI: the lab or a real
/// cluster behind the same seams.
/// </summary>
/// <param name="Masters">The masters in inventory order (master names).</param>
/// <param name="Connection">etcd endpoints and TLS as they are NOW (a replaced master changes them).</param>
/// <param name="HostFor">An SSH host for a master, for the PKI backup.</param>
/// <param name="StoreUrl">Where the drill stores its snapshot and PKI archives, as the schedule would.</param>
/// <param name="Recipient">age recipient the snapshot and archives are encrypted to.</param>
/// <param name="IdentityFile">The matching identity, handed to the restore.</param>
/// <param name="WorkDirectory">Local copies of the snapshot and archives (inside the report folder).</param>
/// <param name="ToolVersions">Versions the environment knows (etcdctl, the lab, ssh); the drill adds etcd-dr and etcd.</param>
/// <param name="RecoveryTimeout">How long the probe waits for the cluster after the restore returned.</param>
public sealed record DrillEnvironment(
    DrillContext Context,
    IReadOnlyList<string> Masters,
    PkiFlavor PkiFlavor,
    Func<EtcdConnectionOptions> Connection,
    Func<string, IRemoteHost> HostFor,
    string StoreUrl,
    string Recipient,
    string IdentityFile,
    string WorkDirectory,
    IFaultInjector Faults,
    IDrillRestorer Restorer,
    IReadOnlyDictionary<string, string> ToolVersions,
    TimeSpan RecoveryTimeout)
{
    /// <summary>How long canaries run before the snapshot and between the snapshot and the outage.</summary>
    public TimeSpan CanaryLead { get; init; } = TimeSpan.FromSeconds(1);
}
