using EtcdDr.Remote;

namespace EtcdDr.Topology.Runtimes;

/// <summary>The one place a flavor picks its runtime; the restore never branches on the flavor itself.</summary>
public static class EtcdRuntimes
{
    public static IEtcdRuntime For(MasterTopology topology, IRemoteHost host, EtcdRuntimeOptions? options = null) => topology.Flavor switch
    {
        EtcdFlavor.Kubeadm => new KubeadmRuntime(topology, host, options),
        EtcdFlavor.Kubespray => new KubesprayHostRuntime(topology, host, options),
        // A distribution's unit reading an EnvironmentFile is the Kubespray host case; flags written
        // into ExecStart would need the unit edited and systemd reloaded, which nothing does yet.
        EtcdFlavor.Systemd when !topology.ConfigFile.EndsWith(".service", StringComparison.Ordinal) => new KubesprayHostRuntime(topology, host, options),
        EtcdFlavor.Systemd => throw new DrException(
            $"{host.Name}: etcd is configured by flags in {topology.ConfigFile}'s ExecStart; restoring such a master is not supported yet: move the flags into an EnvironmentFile of ETCD_* variables", FailureKind.Usage),
        EtcdFlavor.KubesprayDocker => new KubesprayDockerRuntime(topology, host, options),
        _ => throw new DrException($"{host.Name}: no runtime for flavor {topology.Flavor}", FailureKind.Usage),
    };
}
