using EtcdDr.Topology;

namespace EtcdDr.Tests.Topology;

public class LocalMemberCredentialsTests
{
    [Fact]
    public void Kubeadm_master_uses_the_healthcheck_client()
    {
        using var dir = new TempDir();
        Fixtures.Write(dir.Path, "/etc/kubernetes/manifests/etcd.yaml", Fixtures.KubeadmEtcdManifest);
        foreach (var f in new[] { "ca.crt", "healthcheck-client.crt", "healthcheck-client.key" })
            Fixtures.Write(dir.Path, "/etc/kubernetes/pki/etcd/" + f);
        var member = LocalMemberCredentials.Find(dir.Path);
        Assert.Equal(EtcdFlavor.Kubeadm, member.Flavor);
        Assert.Equal("cp-1", member.Name);
        Assert.Equal(new Uri("https://10.0.0.11:2379"), member.Endpoint);
        Assert.Equal(Path.Combine(dir.Path, "etc/kubernetes/pki/etcd/healthcheck-client.crt"), member.CertFile);
        Assert.Equal(Path.Combine(dir.Path, "etc/kubernetes/pki/etcd/ca.crt"), member.CaFile);
    }

    [Fact]
    public void Kubespray_master_uses_the_admin_cert_named_after_the_inventory_host()
    {
        using var dir = new TempDir();
        Fixtures.Write(dir.Path, "/etc/etcd.env", Fixtures.KubesprayEtcdEnv);
        foreach (var f in new[] { "ca.pem", "admin-node1.pem", "admin-node1-key.pem", "member-node1.pem", "member-node1-key.pem" })
            Fixtures.Write(dir.Path, "/etc/ssl/etcd/ssl/" + f);
        var member = LocalMemberCredentials.Find(dir.Path);
        Assert.Equal(EtcdFlavor.Kubespray, member.Flavor);
        Assert.Equal("etcd1", member.Name);
        Assert.Equal(new Uri("https://10.0.0.21:2379"), member.Endpoint);
        Assert.EndsWith("etc/ssl/etcd/ssl/admin-node1.pem", member.CertFile);
        Assert.EndsWith("etc/ssl/etcd/ssl/admin-node1-key.pem", member.KeyFile);
    }

    [Fact]
    public void Kubespray_falls_back_to_the_member_cert()
    {
        using var dir = new TempDir();
        Fixtures.Write(dir.Path, "/etc/etcd.env", Fixtures.KubesprayEtcdEnv);
        foreach (var f in new[] { "ca.pem", "member-node1.pem", "member-node1-key.pem" })
            Fixtures.Write(dir.Path, "/etc/ssl/etcd/ssl/" + f);
        Assert.EndsWith("member-node1.pem", LocalMemberCredentials.Find(dir.Path).CertFile);
    }

    [Fact]
    public void Kubeadm_certificates_are_read_where_the_hostPath_volume_puts_them()
    {
        using var dir = new TempDir();
        Fixtures.Write(dir.Path, "/etc/kubernetes/manifests/etcd.yaml", RealMasterDiscoveryTests.RestoredKubeadmManifest(pkiHostPath: "/srv/pki/etcd"));
        foreach (var f in new[] { "ca.crt", "healthcheck-client.crt", "healthcheck-client.key" })
            Fixtures.Write(dir.Path, "/srv/pki/etcd/" + f);
        var member = LocalMemberCredentials.Find(dir.Path);
        Assert.Equal(Path.Combine(dir.Path, "srv/pki/etcd/ca.crt"), member.CaFile);
        Assert.Equal(Path.Combine(dir.Path, "srv/pki/etcd/healthcheck-client.crt"), member.CertFile);
    }

    [Fact]
    public void Kubespray_follows_the_unit_drop_in_to_its_env_file_and_ETCDCTL_CERT()
    {
        using var dir = new TempDir();
        Fixtures.Write(dir.Path, "/etc/etcd.env", "ETCD_NAME=stale\nETCD_ADVERTISE_CLIENT_URLS=https://10.9.9.9:2379\nETCD_CERT_FILE=/etc/ssl/etcd/ssl/member-node1.pem\n");
        Fixtures.Write(dir.Path, "/etc/systemd/system/etcd.service", "[Service]\nEnvironmentFile=/etc/etcd.env\nExecStart=/usr/local/bin/etcd\n");
        Fixtures.Write(dir.Path, "/etc/systemd/system/etcd.service.d/10-prod.conf", "[Service]\nEnvironmentFile=\nEnvironmentFile=-/etc/etcd-prod.env\n");
        Fixtures.Write(dir.Path, "/etc/etcd-prod.env", """
            ETCD_NAME="etcd-prod-1"
            ETCD_ADVERTISE_CLIENT_URLS="https://10.0.0.21:2379,\
            https://127.0.0.1:2379"
            ETCD_TRUSTED_CA_FILE=/etc/ssl/etcd/ssl/ca.pem
            ETCD_CERT_FILE=/etc/ssl/etcd/ssl/member-node1.pem
            ETCDCTL_CERT=/etc/ssl/etcd/ssl/node-node1.pem
            ETCDCTL_KEY=/etc/ssl/etcd/ssl/node-node1-key.pem
            """);
        foreach (var f in new[] { "ca.pem", "admin-node1.pem", "admin-node1-key.pem", "node-node1.pem", "node-node1-key.pem" })
            Fixtures.Write(dir.Path, "/etc/ssl/etcd/ssl/" + f);
        var member = LocalMemberCredentials.Find(dir.Path);
        Assert.Equal(("etcd-prod-1", new Uri("https://10.0.0.21:2379")), (member.Name, member.Endpoint));
        Assert.EndsWith("etc/ssl/etcd/ssl/node-node1.pem", member.CertFile);
        Assert.EndsWith("etc/ssl/etcd/ssl/node-node1-key.pem", member.KeyFile);
    }

    [Fact]
    public void Not_a_master_says_so()
    {
        using var dir = new TempDir();
        var ex = Assert.Throws<DrException>(() => LocalMemberCredentials.Find(dir.Path));
        Assert.Contains("is this a control-plane node", ex.Message);
    }

    [Fact]
    public void Missing_client_cert_names_where_it_looked()
    {
        using var dir = new TempDir();
        Fixtures.Write(dir.Path, "/etc/kubernetes/manifests/etcd.yaml", Fixtures.KubeadmEtcdManifest);
        var ex = Assert.Throws<DrException>(() => LocalMemberCredentials.Find(dir.Path));
        Assert.Contains("healthcheck-client.crt", ex.Message);
        Assert.Contains("apiserver-etcd-client.crt", ex.Message);
    }
}
