using EtcdDr.Cli;
using EtcdDr.Remote;

namespace EtcdDr.Tests.Remote;

/// <summary>
/// Inventories written to break the tool (issue 10, "Inputs that break it"): YAML aliases that
/// recurse or fan out, values ssh would read as options, out-of-range ports, cluster names that are
/// not a store path segment, an empty file. Each is refused while reading, with file:line, exit 2.
/// </summary>
public class InventoryInputTests
{
    private static async Task<(int Exit, string Stdout, string Stderr)> CliAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await EtcdDrCli.RunAsync(EtcdDrCli.Build(stdout, stderr), args);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Runs a parse on its own thread with a deadline: before the fix these ran for minutes
    /// (or overflowed the stack), and a test that hangs proves nothing.</summary>
    private static DrException RefusedWithin(Func<object> parse, int seconds = 30)
    {
        var run = Task.Factory.StartNew(() => Record.Exception(parse), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Assert.True(run.Wait(TimeSpan.FromSeconds(seconds)), $"still parsing after {seconds} s");
        var ex = Assert.IsType<DrException>(run.Result);
        Assert.Equal(FailureKind.Usage, ex.Kind);
        return ex;
    }

    private const string RecursiveHostsYaml = """
        all:
          children: &groups
            etcd:
              children: *groups
        """;

    /// <summary>Ten levels of ten groups, each level's children aliasing the level below: a
    /// twenty-line file that walks to 10^8 groups.</summary>
    private static string FanOutHostsYaml()
    {
        var lines = new List<string> { "all:", "  hosts:", "    cp1: { ansible_host: 10.0.0.1 }", "  vars:", "    l0: &l0 { hosts: { cp1: {} } }" };
        for (var level = 1; level <= 8; level++)
            lines.Add($"    l{level}: &l{level} {{ children: {{ {string.Join(", ", Enumerable.Range(0, 10).Select(i => $"g{level}x{i}: *l{level - 1}"))} }} }}");
        lines.AddRange(["  children:", "    etcd: *l8"]);
        return string.Join('\n', lines) + "\n";
    }

    [Fact]
    public void A_recursive_alias_in_hosts_yaml_is_refused_with_file_and_line()
    {
        var ex = RefusedWithin(() => KubesprayInventory.ParseYaml(RecursiveHostsYaml, "hosts.yaml", "c"));
        Assert.StartsWith("hosts.yaml:4: alias *groups is inside its own anchor &groups (line 2)", ex.Message);
    }

    [Fact]
    public void A_fan_out_alias_file_is_refused_quickly_with_file_and_line()
    {
        var ex = RefusedWithin(() => KubesprayInventory.ParseYaml(FanOutHostsYaml(), "hosts.yaml", "c"));
        Assert.Matches(@"^hosts\.yaml:\d+: aliases expand to more than 100000 nodes", ex.Message);
    }

    [Fact]
    public void Recursive_and_fan_out_aliases_in_etcd_dr_yaml_are_refused_too()
    {
        var recursive = RefusedWithin(() => InventoryFile.Parse("cluster: c\nmasters: &m\n  - name: a\n    address: 10.0.0.1\n  - *m\n", "etcd-dr.yaml"));
        Assert.StartsWith("etcd-dr.yaml:5: alias *m is inside its own anchor &m (line 2)", recursive.Message);

        var laughs = new List<string> { "cluster: c", "backup:", "  recipients: &r0 [a, a, a, a, a, a, a, a, a, a]" };
        for (var level = 1; level <= 7; level++)
            laughs.Add($"  destinations: &r{level} [{string.Join(", ", Enumerable.Repeat($"*r{level - 1}", 10))}]");
        laughs.AddRange(["masters:", "  - { name: a, address: 10.0.0.1 }"]);
        var fanOut = RefusedWithin(() => InventoryFile.Parse(string.Join('\n', laughs), "etcd-dr.yaml"));
        Assert.Matches(@"^etcd-dr\.yaml:\d+: aliases expand to more than", fanOut.Message);
    }

    [Fact]
    public void Nesting_deeper_than_any_inventory_is_refused()
    {
        var deep = "all:\n  vars:\n    x: " + new string('[', 5000) + new string(']', 5000) + "\n";
        var ex = RefusedWithin(() => KubesprayInventory.ParseYaml(deep, "hosts.yaml", "c"));
        Assert.StartsWith("hosts.yaml:3: nested more than 64 levels deep", ex.Message);
    }

    [Fact]
    public async Task The_command_line_exits_2_on_a_recursive_alias()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("hosts.yaml"), RecursiveHostsYaml);
        var (exit, _, stderr) = await CliAsync("inventory", "check", "-i", dir.File("hosts.yaml"));
        Assert.True(exit == 2, $"exit {exit}: {stderr}");
        Assert.Contains($"{dir.File("hosts.yaml")}:4: alias *groups", stderr);
    }

    [Fact]
    public void Ordinary_aliases_still_work()
    {
        // A vars block shared by every host, as people write them.
        var yaml = """
            all:
              hosts:
                cp1: &node { ansible_host: 10.0.0.1, ansible_user: ops, ansible_port: 2222 }
                cp2: { ansible_host: 10.0.0.2, ansible_user: ops }
              children:
                etcd:
                  hosts: { cp1: , cp2: }
                kube_control_plane:
                  hosts: { cp1: *node }
            """;
        var inventory = KubesprayInventory.ParseYaml(yaml, "hosts.yaml", "c");
        Assert.Equal(new MasterHost("cp1", "10.0.0.1", 2222, "ops"), inventory.Masters[0]);
        Assert.Equal(["cp1", "cp2"], inventory.Masters.Select(m => m.Name));
    }

    [Theory]
    [InlineData("cluster: c\nmasters:\n  - name: a\n    address: '-V'\n", ":4: masters[0] (a): address '-V' starts with '-'")]
    [InlineData("cluster: c\nmasters:\n  - name: a\n    address: '-oProxyCommand=touch /tmp/x'\n", ":4: masters[0] (a): address '-oProxyCommand=touch /tmp/x' starts with '-'")]
    [InlineData("cluster: c\nmasters:\n  - name: a\n    address: \"10.0.0.1 -V\"\n", ":4: masters[0] (a): address '10.0.0.1 -V' may hold only")]
    [InlineData("cluster: c\nmasters:\n  - name: a\n    address: \"cp\\t1\"\n", ":4: masters[0] (a): address 'cp\t1' may hold only letters")]
    [InlineData("cluster: c\nmasters:\n  - name: a\n    address: 10.0.0.1\n    user: -oProxyCommand=x\n", ":5: masters[0] (a): user '-oProxyCommand=x' starts with '-'")]
    [InlineData("cluster: c\nssh:\n  user: '-V'\nmasters:\n  - { name: a, address: 10.0.0.1 }\n", ":3: ssh.user '-V' starts with '-'")]
    [InlineData("cluster: c\nssh:\n  proxyJump: '-V'\nmasters:\n  - { name: a, address: 10.0.0.1 }\n", ":3: ssh.proxyJump '-V': hop '-V': host '-V' starts with '-'")]
    [InlineData("cluster: c\nssh:\n  proxyJump: 'bastion,-oProxyCommand=x'\nmasters:\n  - { name: a, address: 10.0.0.1 }\n", ":3: ssh.proxyJump 'bastion,-oProxyCommand=x': hop '-oProxyCommand=x'")]
    [InlineData("cluster: c\nssh:\n  proxyJump: 'ops@bastion:99999'\nmasters:\n  - { name: a, address: 10.0.0.1 }\n", ":3: ssh.proxyJump 'ops@bastion:99999': hop 'ops@bastion:99999': port '99999' is not a port number (1-65535)")]
    [InlineData("cluster: c\nssh:\n  port: 99999999999\nmasters:\n  - { name: a, address: 10.0.0.1 }\n", ":3: ssh.port '99999999999' is not a port number (1-65535)")]
    [InlineData("cluster: c\nssh:\n  port: -1\nmasters:\n  - { name: a, address: 10.0.0.1 }\n", ":3: ssh.port '-1' is not a port number (1-65535)")]
    [InlineData("cluster: c\nmasters:\n  - { name: a, address: 10.0.0.1, port: 0 }\n", ":3: masters[0] (a): port '0' is not a port number")]
    [InlineData("cluster: c\nmasters:\n  - { name: a, address: 10.0.0.1, port: 65536 }\n", ":3: masters[0] (a): port '65536' is not a port number")]
    [InlineData("cluster: '..'\nmasters:\n  - { name: a, address: 10.0.0.1 }\n", ":1: cluster name '..' must start with a letter or digit")]
    [InlineData("cluster: '.'\nmasters:\n  - { name: a, address: 10.0.0.1 }\n", ":1: cluster name '.' must start with a letter or digit")]
    [InlineData("cluster: a/b\nmasters:\n  - { name: a, address: 10.0.0.1 }\n", ":1: cluster name 'a/b' may hold only")]
    [InlineData("cluster: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nmasters:\n  - { name: a, address: 10.0.0.1 }\n", ":1: cluster name 'aaaa")]
    public async Task Values_ssh_or_a_store_would_misread_are_refused_at_parse_time(string yaml, string expected)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("etcd-dr.yaml"), yaml);
        // --connect: before the fix '-V' printed "ok" here, ssh having printed its version instead of connecting.
        var (exit, stdout, stderr) = await CliAsync("inventory", "check", "-i", dir.File("etcd-dr.yaml"), "--connect", "--output", "json");
        Assert.True(exit == 2, $"exit {exit}: {stdout}{stderr}");
        Assert.Contains(dir.File("etcd-dr.yaml") + expected, stderr);
        Assert.DoesNotContain("ok", stdout);
    }

    [Theory]
    [InlineData("10.0.0.1")]
    [InlineData("fe80::1%eth0")]
    [InlineData("::1")]
    [InlineData("cp-1.prod.example.com")]
    [InlineData("cp_alias")]
    public void Host_names_addresses_and_aliases_pass(string address)
    {
        var inventory = InventoryFile.Parse($"cluster: prod-eu1.v2\nssh:\n  proxyJump: 'ops@bastion:2222,[::1]:22,jump2'\n  port: 22\nmasters:\n  - name: a\n    address: '{address}'\n    user: ops@CORP.EXAMPLE\n", "etcd-dr.yaml");
        Assert.Equal(address, inventory.Masters[0].Address);
        Assert.Equal(22, inventory.Ssh.Port);
    }

    [Theory]
    [InlineData("[etcd]\ncp1 ansible_host=-V\n", "hosts.ini:2: cp1: address '-V' starts with '-'")]
    [InlineData("[etcd]\ncp1 ansible_host=10.0.0.1\ncp2 ansible_host=10.0.0.2 ansible_user=-oProxyCommand=x\n", "hosts.ini:3: cp2: ansible_user '-oProxyCommand=x' starts with '-'")]
    [InlineData("[etcd]\ncp1\n[etcd:vars]\nansible_port=-1\n", "hosts.ini:2: cp1: ansible_port '-1' is not a port number (1-65535)")]
    public void Kubespray_ini_values_are_checked_with_the_host_line(string ini, string expected)
    {
        var ex = Assert.Throws<DrException>(() => KubesprayInventory.ParseIni(ini, "hosts.ini", "c"));
        Assert.Equal(FailureKind.Usage, ex.Kind);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Kubespray_yaml_values_are_checked_with_the_host_line()
    {
        var ex = Assert.Throws<DrException>(() => KubesprayInventory.ParseYaml("all:\n  hosts:\n    cp1:\n      ansible_host: '-V'\n  children:\n    etcd:\n      hosts:\n        cp1:\n", "hosts.yaml", "c"));
        Assert.Contains("hosts.yaml:3: cp1: address '-V' starts with '-'", ex.Message);
    }

    [Fact]
    public void An_ssh_host_built_in_code_refuses_an_option_as_its_address_and_puts_the_destination_after_double_dash()
    {
        // A store URL's host and a host made in code reach ssh's argument list without an inventory.
        var ex = Assert.Throws<DrException>(() => new OpenSshHost(new MasterHost("store", "-oProxyCommand=x"), new SshSettings()));
        Assert.Contains("store: address '-oProxyCommand=x' starts with '-'", ex.Message);
        Assert.Throws<DrException>(() => new OpenSshHost(new MasterHost("m", "10.0.0.1", User: "-V"), new SshSettings()));
        Assert.Throws<DrException>(() => new OpenSshHost(new MasterHost("m", "10.0.0.1"), new SshSettings(ProxyJump: "-V")));
        Assert.Throws<DrException>(() => new OpenSshHost(new MasterHost("m", "10.0.0.1", Port: 70000), new SshSettings()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n   \n")]
    [InlineData("# etcd-dr inventory\n---\n")]
    public async Task An_empty_inventory_is_called_empty(string text)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("etcd-dr.yaml"), text);
        var (exit, _, stderr) = await CliAsync("inventory", "check", "-i", dir.File("etcd-dr.yaml"));
        Assert.True(exit == 2, $"exit {exit}: {stderr}");
        Assert.Contains($"inventory {dir.File("etcd-dr.yaml")} is empty", stderr);
        Assert.DoesNotContain("[etcd]", stderr); // the INI parser's "no host in an [etcd] group"
        Assert.Contains("is empty", Assert.Throws<DrException>(() => InventoryFile.Parse(text, "x.yaml")).Message);
    }

    [Fact]
    public async Task A_cluster_name_from_the_command_line_is_checked_too()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("hosts.ini"), "[etcd]\ncp1 ansible_host=10.0.0.1\n");
        var (exit, _, stderr) = await CliAsync("inventory", "check", "-i", dir.File("hosts.ini"), "--cluster-name", "..");
        Assert.True(exit == 2, $"exit {exit}: {stderr}");
        Assert.Contains("cluster name '..' must start with a letter or digit", stderr);
    }
}
