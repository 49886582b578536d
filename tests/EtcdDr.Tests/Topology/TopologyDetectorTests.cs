using EtcdDr.Remote;
using EtcdDr.Testing;
using EtcdDr.Topology;

namespace EtcdDr.Tests.Topology;

public class TopologyDetectorTests
{
    private const string KubesprayHostUnit = """
        [Unit]
        Description=etcd
        After=network.target

        [Service]
        Type=notify
        User=etcd
        EnvironmentFile=/etc/etcd.env
        ExecStart=/usr/local/bin/etcd
        NotifyAccess=all
        Restart=always
        RestartSec=10s
        LimitNOFILE=40000

        [Install]
        WantedBy=multi-user.target
        """;

    internal const string KubesprayDockerUnit = """
        [Unit]
        Description=etcd docker wrapper
        Wants=docker.socket
        After=docker.service

        [Service]
        User=root
        PermissionsStartOnly=true
        ExecStart=/usr/bin/docker run --restart=on-failure:5 \
        --env-file=/etc/etcd.env \
        --net=host \
        -v /etc/ssl/certs:/etc/ssl/certs:ro \
        -v /etc/ssl/etcd/ssl:/etc/ssl/etcd/ssl:ro \
        -v /var/lib/etcd:/var/lib/etcd:rw \
        --name=etcd1 \
        quay.io/coreos/etcd:v3.5.16 \
        /usr/local/bin/etcd
        ExecStartPre=-/usr/bin/docker rm -f etcd1
        ExecReload=/usr/bin/docker restart etcd1
        ExecStop=/usr/bin/docker stop etcd1
        Restart=always
        RestartSec=15s

        [Install]
        WantedBy=multi-user.target
        """;

    [Fact]
    public async Task Kubeadm_static_pod()
    {
        var host = new FakeRemoteHost("cp-1");
        host.Files["/etc/kubernetes/manifests/etcd.yaml"] = Fixtures.KubeadmEtcdManifest;
        Fixtures.AnsweringCrictl(host);
        host.Answers["systemctl is-active kubelet"] = new ProcessResult(0, "active\n", "");
        host.Answers["systemctl cat kubelet"] = new ProcessResult(0, "[Unit]", "");
        Fixtures.KubeadmFilesPresent(host);

        var t = await TopologyDetector.DetectAsync(host, default);

        Assert.Equal(EtcdFlavor.Kubeadm, t.Flavor);
        Assert.Equal("cp-1", t.MemberName);
        Assert.Equal(("/var/lib/etcd", "/var/lib/etcd"), (t.DataDir, t.PodDataDir));
        Assert.Equal(("/etc/kubernetes/manifests/etcd.yaml", Fixtures.KubeadmEtcdManifest), (t.ConfigFile, t.ConfigText));
        Assert.Equal((null, null, null), (t.UnitFile, t.EtcdUser, t.ContainerName));
        Assert.Equal(["https://10.0.0.11:2380"], t.PeerUrls);
        Assert.Equal(["https://10.0.0.11:2379"], t.ClientUrls);
        Assert.Equal("cp-1=https://10.0.0.11:2380", t.InitialCluster);
        Assert.Equal("3.5.15", t.EtcdVersion);
        Assert.Equal("/etc/kubernetes/pki/etcd/ca.crt", t.Certs.TrustedCa);
        Assert.Equal("/etc/kubernetes/pki/etcd/server.crt", t.Certs.ServerCert);
        Assert.Equal("/etc/kubernetes/pki/etcd/peer.key", t.Certs.PeerKey);
        Assert.Equal("/etc/kubernetes/pki/etcd/healthcheck-client.crt", t.Certs.ClientCert);
        // No etcdctl on the host: it runs from the etcd image through crictl.
        Assert.Equal(new EtcdTool("crictl", "/usr/bin/crictl", "registry.k8s.io/etcd:3.5.15-0"), t.Etcdctl);
        Assert.True(t.HasKubelet);
        Assert.Equal("active", t.KubeletState);
        Assert.Empty(t.Notes);
    }

    /// <summary>The lab's kill-etcd --no-restart (and a real kubelet at its start limit) leaves kubelet "failed";
    /// `systemctl cat` may not answer (old systemd, a stand-in). It is still a kubelet: read as none, the restore
    /// never started it, so parked control-plane manifests never stopped their pods (kubeadm --from-member timed out).</summary>
    [Theory]
    [InlineData("failed", true)]
    [InlineData("activating", true)]
    [InlineData("inactive", false)]
    [InlineData("unknown", false)]
    public async Task A_kubelet_that_is_not_inactive_exists_even_when_systemctl_cat_does_not_answer(string state, bool expected)
    {
        var host = new FakeRemoteHost("cp-1");
        host.Files["/etc/kubernetes/manifests/etcd.yaml"] = Fixtures.KubeadmEtcdManifest;
        Fixtures.AnsweringCrictl(host);
        host.Answers["systemctl is-active kubelet"] = new ProcessResult(3, state + "\n", "");
        host.Answers["systemctl cat kubelet"] = new ProcessResult(1, "", "Unknown command verb cat\n");
        Fixtures.KubeadmFilesPresent(host);

        var t = await TopologyDetector.DetectAsync(host, default);

        Assert.Equal((expected, state), (t.HasKubelet, t.KubeletState));
    }

    [Fact]
    public async Task Kubespray_host_deployment()
    {
        var host = new FakeRemoteHost("node1");
        host.Files["/etc/etcd.env"] = Fixtures.KubesprayEtcdEnv;
        host.Files["/etc/systemd/system/etcd.service"] = KubesprayHostUnit;
        host.Files["/usr/local/bin/etcd"] = Fixtures.ElfBinary;
        host.Files["/usr/local/bin/etcdctl"] = Fixtures.ElfBinary;
        Fixtures.KubesprayFilesPresent(host);

        var t = await TopologyDetector.DetectAsync(host, default);

        Assert.Equal(EtcdFlavor.Kubespray, t.Flavor);
        Assert.Equal(("/etc/etcd.env", Fixtures.KubesprayEtcdEnv), (t.ConfigFile, t.ConfigText));
        Assert.Equal(("/etc/systemd/system/etcd.service", "etcd", null), (t.UnitFile, t.EtcdUser, t.ContainerName));
        Assert.Equal(("/var/lib/etcd", null), (t.DataDir, t.PodDataDir));
        Assert.Empty(t.Notes);
        Assert.Equal("etcd1", t.MemberName);
        Assert.Equal(["https://10.0.0.21:2380"], t.PeerUrls);
        Assert.Equal("k8s_etcd", t.InitialClusterToken);
        Assert.Equal("3.5.16", t.EtcdVersion); // from the env file's "# Environment file for etcd v3.5.16"
        Assert.DoesNotContain(host.Commands, c => c.StartsWith("/usr/local/bin/etcd ", StringComparison.Ordinal));
        Assert.Equal("/etc/ssl/etcd/ssl/admin-node1.pem", t.Certs.ClientCert);
        Assert.Equal("/etc/ssl/etcd/ssl/admin-node1-key.pem", t.Certs.ClientKey);
        Assert.Equal("/etc/ssl/etcd/ssl/member-node1.pem", t.Certs.ServerCert);
        Assert.Equal(new EtcdTool("host", "/usr/local/bin/etcdctl"), t.Etcdctl);
        Assert.Equal(EtcdTool.None, t.Etcdutl);
        Assert.False(t.HasKubelet);
    }

    [Fact]
    public async Task Kubespray_docker_deployment()
    {
        var host = new FakeRemoteHost("node2");
        host.Files["/etc/etcd.env"] = Fixtures.KubesprayEtcdEnv;
        host.Files["/etc/systemd/system/etcd.service"] = KubesprayDockerUnit;
        Fixtures.AnsweringDocker(host);
        Fixtures.KubesprayFilesPresent(host);
        var t = await TopologyDetector.DetectAsync(host, default);
        Assert.Equal(EtcdFlavor.KubesprayDocker, t.Flavor);
        Assert.Equal(("etcd1", "/etc/etcd.env", "/var/lib/etcd"), (t.ContainerName, t.ConfigFile, t.PodDataDir));
        Assert.Equal("quay.io/coreos/etcd:v3.5.16", t.Image);
        Assert.Equal("3.5.16", t.EtcdVersion);
        Assert.Equal(new EtcdTool("docker", "/usr/bin/docker", "quay.io/coreos/etcd:v3.5.16"), t.Etcdctl);
    }

    [Fact]
    public async Task Plain_systemd_unit_with_flags()
    {
        var host = new FakeRemoteHost("db-1");
        host.Files["/lib/systemd/system/etcd.service"] = """
            [Service]
            ExecStart=/usr/bin/etcd --name db-1 --data-dir=/srv/etcd \
              --initial-advertise-peer-urls https://10.1.0.5:2380 --advertise-client-urls https://10.1.0.5:2379
            """;
        var t = await TopologyDetector.DetectAsync(host, default);
        Assert.Equal(EtcdFlavor.Systemd, t.Flavor);
        Assert.Equal(("db-1", "/srv/etcd"), (t.MemberName, t.DataDir));
        Assert.Equal(("/lib/systemd/system/etcd.service", "/lib/systemd/system/etcd.service"), (t.ConfigFile, t.UnitFile));
        Assert.Equal(["https://10.1.0.5:2379"], t.ClientUrls);
    }

    [Fact]
    public async Task No_etcd_on_the_host()
    {
        var ex = await Assert.ThrowsAsync<DrException>(() => TopologyDetector.DetectAsync(new FakeRemoteHost("worker-1"), default));
        Assert.Contains("worker-1: no etcd found", ex.Message);
    }

    [Fact]
    public async Task Files_are_read_in_two_listings_and_one_read_each()
    {
        var host = new FakeRemoteHost("cp-1");
        host.Files["/etc/kubernetes/manifests/etcd.yaml"] = Fixtures.KubeadmEtcdManifest;
        await TopologyDetector.DetectAsync(host, default);
        // One for the layout, one for every certificate and the data dir the files name.
        Assert.Equal(2, host.Commands.Count(c => c.StartsWith("ls -1d", StringComparison.Ordinal)));
        Assert.Single(host.Commands, c => c.StartsWith("cat", StringComparison.Ordinal));
    }
}

public class TopologyDetectorStoppedTests
{
    [Fact]
    public async Task A_kubeadm_master_with_its_manifest_moved_out_is_reported_stopped()
    {
        var host = new FakeRemoteHost("cp-1");
        host.Files["/etc/kubernetes/manifests"] = "";
        host.Files["/lib/systemd/system/etcd.service"] = "[Service]\nEnvironmentFile=-/etc/default/etcd\nExecStart=/usr/bin/etcd $DAEMON_ARGS\n";
        var ex = await Assert.ThrowsAsync<DrException>(() => TopologyDetector.DetectAsync(host, default));
        Assert.Contains("etcd is stopped", ex.Message);
    }

    [Fact]
    public async Task A_packaged_unit_naming_no_member_is_not_a_member()
    {
        var host = new FakeRemoteHost("db-9");
        host.Files["/lib/systemd/system/etcd.service"] = "[Service]\nEnvironmentFile=-/etc/default/etcd\nExecStart=/usr/bin/etcd $DAEMON_ARGS\n";
        var ex = await Assert.ThrowsAsync<DrException>(() => TopologyDetector.DetectAsync(host, default));
        Assert.Contains("names no client URL", ex.Message);
    }
}
