using EtcdDr.Topology;
using System.Net;
using EtcdDr.Lab;

namespace EtcdDr.Tests.Lab;

/// <summary>The lab's small parsers: systemd units and env files, static pod manifests, and its own argument checks.</summary>
public sealed class LabParsingTests
{
    private static readonly LabSpec Spec = new("/tmp/etcd-dr-lab", LabFlavor.Kubeadm, 3, "127.0.100", 2222);

    [Fact]
    public void Kubespray_unit_reads_as_systemd_would()
    {
        var unit = UnitFile.Parse("etcd", KubesprayLayout.UnitFile);
        Assert.Equal(["/usr/local/bin/etcd"], unit.ExecStart);
        Assert.Equal([("/etc/etcd.env", false)], unit.EnvironmentFiles);
        Assert.Equal("always", unit.Restart);
        Assert.Equal(TimeSpan.FromSeconds(10), unit.RestartSec);
        Assert.True(unit.RestartsAfter(0));
    }

    [Fact]
    public void Unit_parsing_handles_continuations_quotes_optional_env_files_and_restart_policies()
    {
        var unit = UnitFile.Parse("x", "[Unit]\nExecStart=/not/this\n[Service]\nEnvironmentFile=-/etc/default/x\nEnvironment=\"A=1 2\" B=3\n" +
            "ExecStart=/usr/bin/x --flag \\\n  \"two words\"\nRestart=on-failure\nRestartSec=500ms\nTimeoutStopSec=1min\n");
        Assert.Equal(["/usr/bin/x", "--flag", "two words"], unit.ExecStart);
        Assert.Equal([("/etc/default/x", true)], unit.EnvironmentFiles);
        Assert.Equal("1 2", unit.Environment["A"]);
        Assert.Equal("3", unit.Environment["B"]);
        Assert.False(unit.RestartsAfter(0));
        Assert.True(unit.RestartsAfter(2));
        Assert.Equal(TimeSpan.FromMilliseconds(500), unit.RestartSec);
        Assert.Equal(TimeSpan.FromMinutes(1), unit.TimeoutStopSec);
    }

    [Fact]
    public void Environment_file_keeps_values_and_drops_comments_and_quotes()
    {
        var master = Spec.Masters[0];
        var env = EtcdEnvFile.Parse(KubesprayLayout.EnvironmentFile(Spec, master) + "QUOTED=\"a b\"\n");
        Assert.Equal("master-1", env["ETCD_NAME"]);
        Assert.Equal("https://127.0.100.1:2379", env["ETCD_ADVERTISE_CLIENT_URLS"]);
        Assert.Equal(Spec.InitialCluster, env["ETCD_INITIAL_CLUSTER"]);
        Assert.Equal("/etc/ssl/etcd/ssl/member-master-1.pem", env["ETCD_CERT_FILE"]);
        Assert.Equal("a b", env["QUOTED"]);
        Assert.DoesNotContain(env.Keys, k => k.StartsWith('#'));
    }

    [Fact]
    public void Lab_manifest_parses_into_the_etcd_command_kubeadm_would_run()
    {
        var manifest = StaticPodManifest.Parse(KubeadmLayout.EtcdManifest(Spec, Spec.Masters[1]), "etcd.yaml");
        Assert.Equal("etcd", manifest.PodName);
        Assert.Equal("etcd", manifest.ContainerName);
        Assert.Equal("etcd", manifest.Command[0]);
        Assert.Equal("master-2", manifest.Flag("--name"));
        Assert.Equal("/var/lib/etcd", manifest.Flag("--data-dir"));
        Assert.Equal("https://127.0.100.2:2380", manifest.Flag("--initial-advertise-peer-urls"));
        Assert.Equal("master-1=https://127.0.100.1:2380,master-2=https://127.0.100.2:2380,master-3=https://127.0.100.3:2380", manifest.Flag("--initial-cluster"));
        Assert.Equal("true", manifest.Flag("--client-cert-auth"));
    }

    [Fact]
    public void A_manifest_rewritten_by_another_tool_still_parses()
    {
        const string yaml = """
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "etcd"},
             "spec": {"containers": [{"name": "etcd", "command": ["etcd"], "args": ["--name=a", "--force-new-cluster"],
                                      "env": [{"name": "ETCD_X", "value": "1"}, {"name": "FROM_FIELD", "valueFrom": {}}]}]}}
            """;
        var manifest = StaticPodManifest.Parse(yaml, "etcd.json");
        Assert.Equal(["etcd", "--name=a", "--force-new-cluster"], manifest.Command);
        Assert.Equal("1", Assert.Single(manifest.Environment).Value);
    }

    [Fact]
    public void A_manifest_without_command_has_an_empty_command_for_the_kubelet_to_refuse() =>
        Assert.Empty(StaticPodManifest.Parse("spec:\n  containers:\n  - name: etcd\n    image: etcd\n", "m.yaml").Command);

    [Fact]
    public void Spec_names_masters_and_addresses_from_the_net()
    {
        Assert.Equal(["master-1", "master-2", "master-3"], Spec.Masters.Select(m => m.Name));
        Assert.Equal(IPAddress.Parse("127.0.100.3"), Spec.Masters[2].Address);
        Assert.Empty(Spec.Problems());
    }

    [Theory]
    [InlineData("/tmp/x", 3, "10.0.0", "--net")]
    [InlineData("/tmp/x", 3, "127.0.0", "--net")]
    [InlineData("/tmp/x", 0, "127.0.100", "--masters")]
    [InlineData("/var/lib/lab", 3, "127.0.100", "overlays")]
    [InlineData("/etc", 3, "127.0.100", "overlays")]
    [InlineData("/", 3, "127.0.100", "whole machine")]
    [InlineData("lab", 3, "127.0.100", "absolute")]
    public void Spec_problems_name_what_is_wrong(string state, int masters, string net, string expected)
    {
        var problems = new LabSpec(state, LabFlavor.Kubespray, masters, net, 2222).Problems().ToList();
        Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Known_hosts_lines_use_brackets_only_off_port_22()
    {
        var master = Spec.Masters[0];
        Assert.Equal("[127.0.100.1]:2222 ssh-ed25519 AAAA", LabSsh.KnownHostsLine(master, 2222, "ssh-ed25519 AAAA"));
        Assert.Equal("127.0.100.1 ssh-ed25519 AAAA", LabSsh.KnownHostsLine(master, 22, "ssh-ed25519 AAAA"));
    }

    [Fact]
    public void Master_paths_map_inside_paths_to_their_overlay_upper_dirs()
    {
        var paths = new LabPaths("/tmp/lab").Master("master-1");
        Assert.Equal("/tmp/lab/masters/master-1/upper/etc/etcd.env", paths.Inside("/etc/etcd.env"));
        Assert.Equal("/tmp/lab/masters/master-1/upper/var-lib/etcd", paths.Inside("/var/lib/etcd"));
        Assert.Equal("/tmp/lab/masters/master-1/upper/usr-local/bin/etcd", paths.Inside("/usr/local/bin/etcd"));
        Assert.Throws<ArgumentException>(() => paths.Inside("/opt/x"));
    }

    [Fact]
    public void Process_identity_round_trips_and_knows_this_process_is_alive()
    {
        var me = ProcessIdentity.Of(Environment.ProcessId)!;
        Assert.True(me.IsAlive);
        Assert.Equal(me, ProcessIdentity.Parse(me.Serialize()));
        Assert.False((me with { StartTicks = me.StartTicks + 1 }).IsAlive);
    }
}
