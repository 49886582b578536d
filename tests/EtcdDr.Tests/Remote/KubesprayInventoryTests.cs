using EtcdDr.Remote;

namespace EtcdDr.Tests.Remote;

public class KubesprayInventoryTests
{
    private const string HostsYaml = """
        all:
          hosts:
            node1:
              ansible_host: 10.0.0.21
              ip: 10.0.0.21
              access_ip: 10.0.0.21
              ansible_user: ubuntu
              ansible_ssh_private_key_file: ~/.ssh/k8s
            node2:
              ansible_host: 10.0.0.22
              ip: 10.0.0.22
              ansible_port: 2222
            node3:
              ip: 10.0.0.23
            worker1:
              ansible_host: 10.0.0.31
          children:
            kube_control_plane:
              hosts:
                node1:
                node2:
                node3:
            kube_node:
              hosts:
                worker1:
            etcd:
              hosts:
                node1:
                node2:
                node3:
            k8s_cluster:
              children:
                kube_control_plane:
                kube_node:
        """;

    private const string HostsIni = """
        [all]
        node1 ansible_host=10.0.0.21 ip=10.0.0.21 etcd_member_name=etcd1 ansible_user=ubuntu
        node2 ansible_host=10.0.0.22 ip=10.0.0.22 etcd_member_name=etcd2
        worker1 ansible_host=10.0.0.31

        [kube_control_plane]
        node1
        node2

        [etcd]
        node1
        node2

        [kube_node]
        worker1

        [k8s_cluster:children]
        kube_control_plane
        kube_node
        """;

    [Fact]
    public void Hosts_yaml_masters_are_the_etcd_group()
    {
        var inv = KubesprayInventory.ParseYaml(HostsYaml, "hosts.yaml", "prod");
        Assert.Equal(["node1", "node2", "node3"], inv.Masters.Select(m => m.Name));
        Assert.Equal(["10.0.0.21", "10.0.0.22", "10.0.0.23"], inv.Masters.Select(m => m.Address));
        Assert.Equal(2222, inv.Master("node2").Port);
        Assert.Equal("ubuntu", inv.Master("node1").User);
        Assert.Equal("~/.ssh/k8s", inv.Ssh.IdentityFile);
    }

    [Fact]
    public void Ini_masters_are_the_etcd_group()
    {
        var inv = KubesprayInventory.ParseIni(HostsIni, "inventory.ini", "prod");
        Assert.Equal(["node1", "node2"], inv.Masters.Select(m => m.Name));
        Assert.Equal("10.0.0.22", inv.Master("node2").Address);
    }

    [Fact]
    public void Loader_tells_the_formats_apart_and_names_the_cluster_after_the_folder()
    {
        using var dir = new TempDir();
        var folder = Directory.CreateDirectory(Path.Combine(dir.Path, "prod-eu1")).FullName;
        File.WriteAllText(Path.Combine(folder, "hosts.yaml"), HostsYaml);
        File.WriteAllText(Path.Combine(folder, "inventory.ini"), HostsIni);
        File.WriteAllText(Path.Combine(folder, "etcd-dr.yaml"), "cluster: mine\nmasters: [ { name: a, address: 127.0.0.1 } ]\n");
        Assert.Equal(("prod-eu1", 3), (InventoryLoader.Load(Path.Combine(folder, "hosts.yaml")).Cluster, InventoryLoader.Load(Path.Combine(folder, "hosts.yaml")).Masters.Count));
        Assert.Equal(2, InventoryLoader.Load(Path.Combine(folder, "inventory.ini")).Masters.Count);
        Assert.Equal("mine", InventoryLoader.Load(Path.Combine(folder, "etcd-dr.yaml")).Cluster);
        Assert.Equal("other", InventoryLoader.Load(Path.Combine(folder, "hosts.yaml"), "other").Cluster);
    }

    [Fact]
    public void No_etcd_group_is_an_error()
    {
        var ex = Assert.Throws<DrException>(() => KubesprayInventory.ParseIni("[kube_node]\nw1\n", "inv.ini", "c"));
        Assert.Contains("no host in an [etcd]", ex.Message);
    }
}
