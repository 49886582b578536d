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
        Assert.Equal("~/.ssh/k8s", inv.Master("node1").IdentityFile);
        // node1's key is node1's: it is not lent to the other masters.
        Assert.Null(inv.Master("node2").IdentityFile);
        Assert.Null(inv.Ssh.IdentityFile);
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

    // As Kubespray's sample inventory and `ansible-inventory` read it: all.vars lowest, then group
    // vars (a child group over its parent), host vars highest.
    private const string HostsYamlWithVars = """
        all:
          vars:
            ansible_user: deploy
            ansible_ssh_private_key_file: /keys/all
            ansible_port: 2200
          hosts:
            cp1: { ansible_host: 10.1.0.1 }
            cp2: { ansible_host: 10.1.0.2, ansible_user: admin2 }
            cp3: { ansible_host: 10.1.0.3, ansible_port: 22 }
          children:
            k8s_cluster:
              vars:
                ansible_ssh_private_key_file: /keys/k8s
              children:
                kube_control_plane:
                  vars:
                    ansible_ssh_private_key_file: /keys/cp
                  hosts:
                    cp1:
                    cp2:
            etcd:
              hosts:
                cp1:
                cp2:
                cp3:
        """;

    [Fact]
    public void Yaml_all_vars_and_group_vars_apply_per_host_with_ansibles_precedence()
    {
        var inv = KubesprayInventory.ParseYaml(HostsYamlWithVars, "hosts.yaml", "prod");
        Assert.Equal(["cp1", "cp2", "cp3"], inv.Masters.Select(m => m.Name));
        Assert.Equal(("deploy", 2200, "/keys/cp"), (inv.Master("cp1").User, inv.Master("cp1").Port, inv.Master("cp1").IdentityFile));
        Assert.Equal(("admin2", 2200, "/keys/cp"), (inv.Master("cp2").User, inv.Master("cp2").Port, inv.Master("cp2").IdentityFile));
        // cp3 is only in etcd: all's key, its own port.
        Assert.Equal(("deploy", 22, "/keys/all"), (inv.Master("cp3").User, inv.Master("cp3").Port, inv.Master("cp3").IdentityFile));
    }

    private const string IniWithVars = """
        # hosts before any group are "ungrouped"
        cp1 ansible_host=10.2.0.1 ansible_ssh_private_key_file="/home/ops/my keys/id_ed25519" ip=10.2.0.1
        cp2 ansible_host=10.2.0.2 ansible_user='ops two'   # trailing comment
        cp3 ansible_host=10.2.0.3

        [all:vars]
        ansible_user=deploy
        ansible_port = 2201

        [etcd]
        cp1
        cp2
        cp3

        [etcd:vars]
        ansible_ssh_private_key_file=/keys/etcd group.pem
        """;

    [Fact]
    public void Ini_vars_sections_quoted_values_and_ungrouped_hosts()
    {
        var inv = KubesprayInventory.ParseIni(IniWithVars, "inventory.ini", "prod");
        Assert.Equal(["cp1", "cp2", "cp3"], inv.Masters.Select(m => m.Name));
        Assert.Equal(new MasterHost("cp1", "10.2.0.1", 2201, "deploy", IdentityFile: "/home/ops/my keys/id_ed25519"), inv.Master("cp1"));
        Assert.Equal(new MasterHost("cp2", "10.2.0.2", 2201, "ops two", IdentityFile: "/keys/etcd group.pem"), inv.Master("cp2"));
        Assert.Equal(new MasterHost("cp3", "10.2.0.3", 2201, "deploy", IdentityFile: "/keys/etcd group.pem"), inv.Master("cp3"));
    }

    [Fact]
    public void Ini_with_only_ungrouped_hosts_has_no_masters_and_says_so()
    {
        var ex = Assert.Throws<DrException>(() => KubesprayInventory.ParseIni("cp1 ansible_host=10.0.0.1\n", "inv.ini", "c"));
        Assert.Contains("no host in an [etcd]", ex.Message);
    }

    [Theory]
    [InlineData("[etcd]\ncp1 ansible_host=\"10.0.0.1\n", "inv.ini:2: unterminated")]
    [InlineData("[etcd]\ncp1 ansible_host\n", "inv.ini:2: 'ansible_host' is not key=value")]
    [InlineData("[etcd]\ncp1\n[etcd:vars]\nnot-a-pair\n", "inv.ini:4:")]
    [InlineData("[etcd\ncp1\n", "inv.ini:1: unterminated section")]
    [InlineData("[etcd]\ncp1 ansible_port=ssh\n", "ansible_port 'ssh' is not a port")]
    public void Ini_errors_name_file_and_line(string ini, string expected)
    {
        var ex = Assert.Throws<DrException>(() => KubesprayInventory.ParseIni(ini, "inv.ini", "c"));
        Assert.Equal(FailureKind.Usage, ex.Kind);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public async Task Per_host_identity_reaches_the_ssh_arguments()
    {
        var inv = KubesprayInventory.ParseIni(IniWithVars, "inventory.ini", "prod");
        await using var host = new OpenSshHost(inv.Master("cp1"), inv.Ssh);
        var args = host.SshArguments();
        var i = args.ToList().IndexOf("-i");
        Assert.Equal("/home/ops/my keys/id_ed25519", args[i + 1]);
        Assert.Equal(["-p", "2201", "-l", "deploy", "--", "10.2.0.1"], args.TakeLast(6));
    }
}
