using EtcdDr.Remote;
using EtcdDr.Topology;
using EtcdDr.Topology.Runtimes;

namespace EtcdDr.Cli.Restore;

/// <summary>The per-flavor runtimes the restore acts through.</summary>
internal static class RestoreRuntimes
{
    public static IEtcdRuntime Create(MasterTopology topology, IRemoteHost host) => EtcdRuntimes.For(topology, host);
}
