using System.Net;
using EtcdDr.Lab;
using EtcdDr.Topology;

namespace EtcdDr.Tests.Lab;

/// <summary>The kubespray-docker lab's files read as Kubespray's own would: the wrapper unit by the stand-in
/// systemd, the wrapper script by discovery's `docker run` parser.</summary>
public sealed class KubesprayDockerLayoutTests
{
    private static readonly LabMaster Master2 = new("master-2", IPAddress.Parse("127.0.100.2"));

    [Fact]
    public void The_wrapper_unit_removes_a_stale_container_before_start_and_stops_it_through_docker()
    {
        var unit = UnitFile.Parse("etcd", KubesprayDockerLayout.UnitFile(Master2));
        Assert.Equal(["/usr/local/bin/etcd"], unit.ExecStart);
        var pre = Assert.Single(unit.ExecStartPre);
        Assert.Equal(["/usr/bin/docker", "rm", "-f", "etcd2"], pre.Argv);
        Assert.True(pre.IgnoreFailure);
        Assert.Equal(["/usr/bin/docker", "stop", "etcd2"], unit.ExecStop.Single());
        Assert.Equal([("/etc/etcd.env", true)], unit.EnvironmentFiles);
        Assert.Equal(TimeSpan.FromSeconds(15), unit.RestartSec);
    }

    [Fact]
    public void Discovery_reads_the_wrapper_script_as_kubespray_writes_it()
    {
        var run = ShellWords.Commands(KubesprayDockerLayout.WrapperScript(Master2)).Select(DockerRunCommand.Find).Single(r => r is not null)!;
        Assert.Equal("etcd2", run.Name);
        Assert.StartsWith("quay.io/coreos/etcd:v", run.Image);
        Assert.Equal(["/etc/etcd.env"], run.EnvFiles);
        Assert.Contains(new PathMount("/var/lib/etcd", "/var/lib/etcd", "/var/lib/etcd"), run.Mounts);
        Assert.Equal(["/usr/local/bin/etcd", "$@"], run.Command);
    }

    [Fact]
    public void The_masters_dockerd_stays_off_the_shared_network_and_puts_containers_below_the_master_cgroup()
    {
        var unit = UnitFile.Parse("docker", KubesprayDockerLayout.DockerUnitFile(new MasterPaths("/tmp/lab/masters/master-2"), "etcd-dr-lab-abc/master-2"));
        Assert.Equal(["/usr/sbin/dockerd", "-H", "unix:///var/run/docker.sock", "--data-root", "/tmp/lab/masters/master-2/docker",
            "--iptables=false", "--ip-masq=false", "--ip-forward=false", "--bridge=none", "--cgroup-parent=/etcd-dr-lab-abc/master-2"], unit.ExecStart);
    }

    [Theory]
    [InlineData("kubespray-docker", LabFlavor.KubesprayDocker)]
    [InlineData("kubespray", LabFlavor.Kubespray)]
    [InlineData("Kubeadm", LabFlavor.Kubeadm)]
    public void Flavor_names_round_trip(string text, LabFlavor flavor)
    {
        Assert.Equal(flavor, LabFlavors.Parse(text));
        Assert.Equal(flavor, LabFlavors.Parse(flavor.Name()));
    }

    [Fact]
    public void An_unknown_flavor_is_a_usage_error()
    {
        var error = Assert.Throws<DrException>(() => LabFlavors.Parse("docker"));
        Assert.Equal(FailureKind.Usage, error.Kind);
    }
}
