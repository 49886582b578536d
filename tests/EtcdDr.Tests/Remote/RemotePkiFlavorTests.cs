using EtcdDr.Remote;
using EtcdDr.Testing;
using EtcdDr.Tests.Topology;
using PkiVault.Archive;

namespace EtcdDr.Tests.Remote;

public class RemotePkiFlavorTests
{
    [Fact]
    public async Task Discovery_decides_when_it_can()
    {
        var host = new FakeRemoteHost("cp-1");
        host.Files["/etc/kubernetes/manifests/etcd.yaml"] = Fixtures.KubeadmEtcdManifest;
        host.Files["/etc/kubernetes/pki"] = "";
        Assert.Equal(new PkiFlavorChoice(PkiFlavor.Kubeadm, null), await RemotePkiFlavor.DecideAsync(host, default));
    }

    [Fact]
    public async Task A_kubeadm_master_with_etcd_stopped_gets_the_kubeadm_set_from_its_files()
    {
        var host = new FakeRemoteHost("cp-1");
        host.Files["/etc/kubernetes/manifests"] = ""; // the folder is there, etcd.yaml was moved out
        host.Files["/etc/kubernetes/pki"] = "";
        var choice = await RemotePkiFlavor.DecideAsync(host, default);
        Assert.Equal(PkiFlavor.Kubeadm, choice.Flavor);
        Assert.Contains("etcd is stopped", choice.Note);
        Assert.Contains("because /etc/kubernetes/pki exists", choice.Note);
    }

    [Fact]
    public async Task Kubespray_files_win_over_the_kubeadm_folder_kubespray_also_writes()
    {
        var host = new FakeRemoteHost("node1");
        host.Files["/etc/kubernetes/manifests"] = "";
        host.Files["/etc/kubernetes/pki"] = "";
        host.Files["/etc/ssl/etcd/ssl"] = "";
        Assert.Equal(PkiFlavor.Kubespray, (await RemotePkiFlavor.DecideAsync(host, default)).Flavor);
    }

    [Fact]
    public async Task No_pki_at_all_is_a_usage_error_naming_what_was_looked_for()
    {
        var host = new FakeRemoteHost("worker-1");
        var ex = await Assert.ThrowsAsync<DrException>(() => RemotePkiFlavor.DecideAsync(host, default));
        Assert.Equal(FailureKind.Usage, ex.Kind);
        Assert.Contains("worker-1: no PKI to back up: neither /etc/kubernetes/pki nor /etc/ssl/etcd/ssl nor /etc/etcd.env exists", ex.Message);
    }
}
