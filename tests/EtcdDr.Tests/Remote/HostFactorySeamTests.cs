using EtcdDr.Remote;
using EtcdDr.Testing;
using EtcdDr.Tests.Topology;
using EtcdDr.Topology;

namespace EtcdDr.Tests.Remote;

public class HostFactorySeamTests
{
    private sealed class RecordingFactory : IRemoteHostFactory
    {
        public Dictionary<string, RecordingRemoteHost> Made { get; } = [];

        public IRemoteHost Create(MasterHost master, SshSettings ssh)
        {
            var host = new RecordingRemoteHost(master.Name);
            host.FileSystem.AddFile("/etc/kubernetes/manifests/etcd.yaml", Fixtures.KubeadmEtcdManifest);
            Made[master.Name] = host;
            return host;
        }
    }

    [Fact]
    public async Task Remote_cluster_makes_its_hosts_through_the_factory_and_discovers_through_them()
    {
        var factory = new RecordingFactory();
        var inventory = new Inventory("t", new SshSettings(), [new MasterHost("cp-1", "10.0.0.11"), new MasterHost("cp-2", "10.0.0.12")]);
        await using var cluster = new RemoteCluster(inventory, factory, only: ["cp-2"]);

        var found = Assert.Single(await cluster.DiscoverAsync(default));

        Assert.Equal(["cp-2"], factory.Made.Keys);
        Assert.Same(factory.Made["cp-2"], cluster.Host("cp-2"));
        Assert.Equal("cp-1", found.Topology!.MemberName);
        Assert.StartsWith("# ls -1d -- /etc/kubernetes/manifests/etcd.yaml ", factory.Made["cp-2"].Transcript());
    }

    [Fact]
    public async Task A_host_without_tunnels_says_so_when_an_endpoint_cannot_be_dialled()
    {
        var factory = new RecordingFactory();
        // TEST-NET-1: never reachable from here, so a tunnel would be needed.
        var master = new MasterHost("cp-1", "192.0.2.1");
        await using var cluster = new RemoteCluster(new Inventory("t", new SshSettings(), [master]), factory);
        var topology = new MasterTopology("cp-1", EtcdFlavor.Kubespray, "/etc/etcd.env", "cp-1", "/var/lib/etcd", [], ["http://192.0.2.1:2379"],
            null, null, new EtcdCertPaths(), "3.5.9", null, EtcdTool.None, EtcdTool.None, false, null, []);
        using var log = new StringWriter();

        var error = await Assert.ThrowsAsync<DrException>(() => cluster.EtcdConnectionAsync([new DiscoveredMaster(master, topology, null)], forceTunnel: true, log, default));

        Assert.Equal(FailureKind.Unreachable, error.Kind);
        Assert.Equal("cp-1: 192.0.2.1:2379 cannot be dialled from here and this master's transport opens no SSH tunnels", error.Message);
    }
}
