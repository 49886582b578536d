using EtcdDr.Remote;
using EtcdDr.Topology;

namespace EtcdDr.Cli.Restore;

/// <summary>The per-flavor runtimes the restore acts through (the runtimes branch provides them).</summary>
internal static class RestoreRuntimes
{
    public static IEtcdRuntime Create(MasterTopology topology, IRemoteHost host) =>
        throw new DrException($"{topology.Host}: this build has no runtime for {topology.Flavor} masters yet", FailureKind.Usage);
}
