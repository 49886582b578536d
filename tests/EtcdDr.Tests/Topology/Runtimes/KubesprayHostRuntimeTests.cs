using EtcdDr.Remote;
using EtcdDr.Testing;
using EtcdDr.Topology;
using EtcdDr.Topology.Runtimes;

namespace EtcdDr.Tests.Topology.Runtimes;

public class KubesprayHostRuntimeTests
{
    [Fact]
    public async Task Stop_and_start_through_the_unit_waiting_on_its_state_and_ports_twice_each()
    {
        var (host, master) = RuntimeMasters.KubesprayMaster();
        var runtime = new KubesprayHostRuntime(RuntimeMasters.Kubespray(), host, RuntimeMasters.Options());

        await runtime.StopEtcdAsync(default);
        await runtime.StopEtcdAsync(default);
        Assert.Equal("""
            # systemctl stop etcd
            # systemctl is-active etcd => exit 3
            # ss -Hltn
            # systemctl stop etcd
            # systemctl is-active etcd => exit 3
            # ss -Hltn

            """, host.Transcript());
        Assert.False(master.Units["etcd"]);
        Assert.False(await runtime.IsEtcdRunningAsync(default));

        host.ClearTranscript();
        await runtime.StartEtcdAsync(default);
        await runtime.StartEtcdAsync(default);
        Assert.Equal("""
            # ls -1d -- /var/lib/etcd
            # systemctl reset-failed etcd
            # systemctl start --no-block etcd
            # systemctl is-active etcd
            # ss -Hltn
            # ls -1d -- /var/lib/etcd
            # systemctl reset-failed etcd
            # systemctl start --no-block etcd
            # systemctl is-active etcd
            # ss -Hltn

            """, host.Transcript());
        Assert.True(await runtime.IsEtcdRunningAsync(default));
    }

    [Fact]
    public async Task A_unit_that_fails_to_start_fails_the_start_with_its_state()
    {
        var (host, master) = RuntimeMasters.KubesprayMaster();
        master.Units["etcd"] = false;
        host.Handlers.Insert(0, argv => argv is ["systemctl", "is-active", "etcd"] ? new ProcessResult(3, "failed\n", "") : null);
        var runtime = new KubesprayHostRuntime(RuntimeMasters.Kubespray(), host, RuntimeMasters.Options());
        var error = await Assert.ThrowsAsync<DrException>(() => runtime.StartEtcdAsync(default));
        Assert.Equal("node1: etcd starting did not happen within 180 s: etcd is failed", error.Message);
    }

    [Fact]
    public async Task Control_plane_on_a_kubespray_master_without_static_pods_stops_and_starts_kubelet()
    {
        var (host, master) = RuntimeMasters.KubesprayMaster();
        var runtime = new KubesprayHostRuntime(RuntimeMasters.Kubespray(), host, RuntimeMasters.Options());
        await runtime.StopControlPlaneAsync(default);
        Assert.False(master.KubeletActive);
        Assert.True(master.Units["etcd"]);
        await runtime.StartControlPlaneAsync(default);
        Assert.True(master.KubeletActive);
        Assert.DoesNotContain(host.Commands, c => c.Argv[0] == "mv");
    }

    [Fact]
    public async Task Env_file_write_keeps_mode_and_owner_and_leaves_no_temporary_file()
    {
        var (host, _) = RuntimeMasters.KubesprayMaster();
        var runtime = new KubesprayHostRuntime(RuntimeMasters.Kubespray(), host, RuntimeMasters.Options());
        var text = await runtime.ReadConfigAsync(default);
        var edited = runtime.EditConfig(text, new Dictionary<string, string?> { ["initial-cluster-state"] = "new" });
        await runtime.WriteConfigAsync(edited, default);
        var file = host.FileSystem.Files["/etc/etcd.env"];
        Assert.Equal(("640", "root:etcd"), (file.Mode, file.Owner));
        Assert.Equal(text.Replace("ETCD_INITIAL_CLUSTER_STATE=existing", "ETCD_INITIAL_CLUSTER_STATE=new", StringComparison.Ordinal), file.Text);
        Assert.DoesNotContain(host.FileSystem.Entries("/etc"), e => e.Contains("tmp", StringComparison.Ordinal));
        Assert.Contains("# install -m 0640 /dev/stdin /etc/.etcd.env.n1.etcd-dr-tmp", host.Transcript());
    }

    [Fact]
    public void The_data_dir_belongs_to_the_units_user()
    {
        var (host, _) = RuntimeMasters.KubesprayMaster();
        Assert.Equal("etcd:etcd", new KubesprayHostRuntime(RuntimeMasters.Kubespray(user: "etcd"), host).DataDirOwner);
        Assert.Null(new KubesprayHostRuntime(RuntimeMasters.Kubespray(user: "root"), host).DataDirOwner);
        Assert.Null(new KubesprayHostRuntime(RuntimeMasters.Kubespray(user: null), host).DataDirOwner);
        Assert.Null(new KubeadmRuntime(RuntimeMasters.Kubeadm(), host).DataDirOwner);
    }

    [Fact]
    public void The_factory_picks_a_runtime_per_flavor_and_refuses_what_is_not_supported()
    {
        var host = new RecordingRemoteHost("node1");
        Assert.IsType<KubeadmRuntime>(EtcdRuntimes.For(RuntimeMasters.Kubeadm(), host));
        Assert.IsType<KubesprayHostRuntime>(EtcdRuntimes.For(RuntimeMasters.Kubespray(), host));
        Assert.IsType<KubesprayHostRuntime>(EtcdRuntimes.For(RuntimeMasters.Kubespray() with { Flavor = EtcdFlavor.Systemd, ConfigFile = "/etc/default/etcd" }, host));

        Assert.IsType<KubesprayDockerRuntime>(EtcdRuntimes.For(RuntimeMasters.Kubespray() with { Flavor = EtcdFlavor.KubesprayDocker, ContainerName = "etcd1" }, host));
        var flags = Assert.Throws<DrException>(() => EtcdRuntimes.For(RuntimeMasters.Kubespray() with { Flavor = EtcdFlavor.Systemd, ConfigFile = "/lib/systemd/system/etcd.service" }, host));
        Assert.Contains("not supported yet", flags.Message);
        Assert.Empty(host.Commands);
    }

    [Fact]
    public void Ss_lines_parse_with_ipv6_zones_and_wildcards()
    {
        var sockets = ListeningSocket.Parse("""
            LISTEN 0      4096      10.0.0.21:2379       0.0.0.0:*
            LISTEN 0      4096   [fe80::1%eth0]:2380         [::]:*
            LISTEN 0      128            [::]:22            [::]:*
            LISTEN 0      4096              *:6443              *:*
            """);
        Assert.Equal([new("10.0.0.21", 2379), new("fe80::1", 2380), new("::", 22), new ListeningSocket("*", 6443)], sockets);
        Assert.True(Endpoint.FromUrl("https://10.0.0.21:2379").IsServedBy(sockets[0]));
        Assert.False(Endpoint.FromUrl("https://10.0.0.22:2379").IsServedBy(sockets[0]));
        Assert.True(Endpoint.FromUrl("https://[fe80::1]:2380").IsServedBy(sockets[1]));
        Assert.True(new Endpoint("10.0.0.21", 6443).IsServedBy(sockets[3]));
        Assert.True(Endpoint.FromUrl("https://localhost:2379").IsServedBy(new ListeningSocket("127.0.0.1", 2379)));
    }
}
