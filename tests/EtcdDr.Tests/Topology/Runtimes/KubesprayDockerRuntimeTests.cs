using EtcdDr.Remote;
using EtcdDr.Remote.Docker;
using EtcdDr.Testing;
using EtcdDr.Topology;
using EtcdDr.Topology.Runtimes;

namespace EtcdDr.Tests.Topology.Runtimes;

/// <summary>Kubespray's docker deployment: the unit drives etcd, the engine API (recorded) checks the container,
/// and a restore without host tools runs in a one-shot container of the member's image.</summary>
public class KubesprayDockerRuntimeTests
{
    private const string Image = "quay.io/coreos/etcd:v3.4.23";

    private static MasterTopology Topology() => RuntimeMasters.Kubespray("3.4.23", user: null) with
    {
        Flavor = EtcdFlavor.KubesprayDocker, Image = Image, ContainerName = "etcd1", PodDataDir = "/var/lib/etcd",
        Etcdctl = new EtcdTool("docker", "/usr/bin/docker", Image), Etcdutl = new EtcdTool("docker", "/usr/bin/docker", Image),
    };

    private static (RecordingRemoteHost Host, SimulatedMaster Master, RecordingDockerEngine Docker, KubesprayDockerRuntime Runtime) Master()
    {
        var (host, master) = RuntimeMasters.KubesprayMaster();
        var docker = new RecordingDockerEngine();
        docker.Containers.Add(new RecordingDockerEngine.FakeContainer(RecordingDockerEngine.Etcd(), () => master.Units["etcd"]));
        var runtime = new KubesprayDockerRuntime(Topology(), host, RuntimeMasters.Options() with { DockerEngine = docker.ConnectAsync });
        return (host, master, docker, runtime);
    }

    [Fact]
    public void The_runtime_seam_picks_the_docker_runtime_for_kubespray_docker_masters()
    {
        var (host, _) = RuntimeMasters.KubesprayMaster();
        Assert.IsType<KubesprayDockerRuntime>(EtcdRuntimes.For(Topology(), host));
    }

    [Fact]
    public async Task Stop_and_start_go_through_the_unit_and_check_the_container_through_the_engine_one_forward_per_check()
    {
        var (host, master, docker, runtime) = Master();

        await runtime.StopEtcdAsync(default);
        Assert.False(master.Units["etcd"]);
        Assert.Equal(["systemctl", "stop", "etcd"], host.Commands[0].Argv);
        Assert.Equal("connect node1 /var/run/docker.sock\ninspect etcd1\nclose\n", docker.Transcript());
        Assert.False(await runtime.IsEtcdRunningAsync(default));

        docker.Calls.Clear();
        host.ClearTranscript();
        await runtime.StartEtcdAsync(default);
        Assert.True(master.Units["etcd"]);
        Assert.Equal(["systemctl start --no-block etcd"], host.Commands.Where(c => c.Argv[0] == "systemctl" && c.Argv[1] == "start").Select(c => c.CommandLine));
        Assert.Equal("connect node1 /var/run/docker.sock\ninspect etcd1\nclose\n", docker.Transcript());
        Assert.True(await runtime.IsEtcdRunningAsync(default));
    }

    [Fact]
    public async Task A_container_that_keeps_running_after_the_unit_stopped_holds_the_stop_until_it_is_gone()
    {
        var (host, master, docker, runtime) = Master();
        var checks = 0;
        docker.Containers[0] = new RecordingDockerEngine.FakeContainer(RecordingDockerEngine.Etcd(), () => master.Units["etcd"] || ++checks < 3);
        await runtime.StopEtcdAsync(default);
        Assert.Equal(3, docker.Calls.Count(c => c == "inspect etcd1"));
        Assert.Equal(docker.Calls.Count(c => c.StartsWith("connect", StringComparison.Ordinal)), docker.Calls.Count(c => c == "close"));
    }

    [Fact]
    public async Task Restore_without_host_tools_runs_etcdctl_in_a_one_shot_container_of_the_member_image()
    {
        var (host, _, docker, runtime) = Master();
        await runtime.StopEtcdAsync(default);
        await runtime.MoveDataDirAsideAsync("/var/lib/etcd.dr-20261206T030000Z", default);
        docker.OnRunOnce = spec =>
        {
            // etcdctl makes the data dir itself (it refuses an existing one).
            host.FileSystem.AddFile("/var/lib/etcd/member/snap/db", "restored in " + spec.Image, "600");
            return new ProcessResult(0, "", "");
        };
        docker.Calls.Clear();
        var request = RuntimeMasters.Request("etcd1", "https://10.0.0.21:2380", "etcd1=https://10.0.0.21:2380");
        await runtime.RestoreSnapshotAsync(request, default);

        Assert.Equal("""
            connect node1 /var/run/docker.sock
            run-once etcd-dr-restore-etcd1 image=quay.io/coreos/etcd:v3.4.23 binds=/var/lib:/var/lib:rw,/var/backups/etcd-dr:/var/backups/etcd-dr:ro env=ETCDCTL_API=3 cmd=etcdctl snapshot restore /var/backups/etcd-dr/snap.db --name=etcd1 --initial-cluster=etcd1=https://10.0.0.21:2380 --initial-cluster-token=etcd-dr-20261206T030000Z --initial-advertise-peer-urls=https://10.0.0.21:2380 --data-dir=/var/lib/etcd
            close

            """, docker.Transcript());
        Assert.Equal("snapshot-restore", docker.OneShots.Single().Labels[DockerRestoreExecutor.RoleLabel]);
        Assert.Equal("restored in " + Image, host.FileSystem.Text("/var/lib/etcd/member/snap/db"));
        Assert.StartsWith("done ", host.FileSystem.Text("/var/lib/.etcd.etcd-dr-restore"));
        Assert.DoesNotContain(host.Commands, c => c.Argv is ["chown", "-R", ..]); // etcd runs as root in the container
        Assert.Contains(runtime.DescribeRestore(request), l => l.StartsWith("docker run --name etcd-dr-restore-etcd1 --network none -v /var/lib:/var/lib:rw", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failed_one_shot_restore_fails_the_step_with_the_tool_last_words()
    {
        var (_, _, docker, runtime) = Master();
        await runtime.StopEtcdAsync(default);
        await runtime.MoveDataDirAsideAsync("/var/lib/etcd.dr-1", default);
        docker.OnRunOnce = _ => new ProcessResult(1, "", "{\"level\":\"info\"}\nError: snapshot file has wrong hash\n");
        var error = await Assert.ThrowsAsync<DrException>(() => runtime.RestoreSnapshotAsync(RuntimeMasters.Request("etcd1"), default));
        Assert.Equal("node1: etcdctl snapshot restore in a one-shot container of quay.io/coreos/etcd:v3.4.23 exited 1: Error: snapshot file has wrong hash", error.Message);
        Assert.Equal(docker.Calls.Count(c => c.StartsWith("connect", StringComparison.Ordinal)), docker.Calls.Count(c => c == "close"));
    }

    [Fact]
    public async Task Discovery_adds_the_container_its_image_and_the_engine_version()
    {
        var docker = new RecordingDockerEngine();
        docker.Containers.Add(new RecordingDockerEngine.FakeContainer(RecordingDockerEngine.Etcd()));
        await using var engine = await docker.ConnectAsync(new RecordingRemoteHost("node1"), DockerEngine.DefaultSocket, default);
        var found = await DockerDiscovery.AddAsync(Topology() with { Image = "quay.io/coreos/etcd:v3.4.22" }, engine, default);

        Assert.Equal("etcd1", found.ContainerName);
        Assert.Equal(Image, found.Image);
        Assert.Equal("docker 20.10.24+dfsg1, API 1.41", found.ContainerEngine);
        Assert.Contains(found.Notes, n => n.StartsWith("container etcd1 (0123456789ab) is running, image quay.io/coreos/etcd:v3.4.23, network host, mounts /etc/ssl/etcd/ssl:/etc/ssl/etcd/ssl:ro, /var/lib/etcd:/var/lib/etcd", StringComparison.Ordinal));
        Assert.Contains("the wrapper names image quay.io/coreos/etcd:v3.4.22 but the container runs quay.io/coreos/etcd:v3.4.23", found.Notes);
        Assert.Equal("connect node1 /var/run/docker.sock\nversion\ninspect etcd1\n", docker.Transcript());
    }

    [Fact]
    public async Task The_container_is_found_by_name_else_by_image_running_first_and_never_our_own_restore_container()
    {
        var docker = new RecordingDockerEngine();
        docker.Containers.Add(new RecordingDockerEngine.FakeContainer(RecordingDockerEngine.Etcd("etcd-dr-restore-etcd1") with
        {
            Id = "r" + new string('1', 63), Labels = new Dictionary<string, string> { [DockerRestoreExecutor.RoleLabel] = "snapshot-restore" },
        }));
        docker.Containers.Add(new RecordingDockerEngine.FakeContainer(RecordingDockerEngine.Etcd("old", running: false) with { Id = "o" + new string('2', 63) }));
        docker.Containers.Add(new RecordingDockerEngine.FakeContainer(RecordingDockerEngine.Etcd("k8s_etcd_etcd-cp-1", "registry.k8s.io/etcd:3.5.15-0") with { Id = "k" + new string('3', 63) }));
        await using var engine = await docker.ConnectAsync(new RecordingRemoteHost("node1"), DockerEngine.DefaultSocket, default);

        Assert.Equal("old", (await DockerEtcdContainer.FindAsync(engine, "etcd1", Image, default))?.Name);
        Assert.Equal("k8s_etcd_etcd-cp-1", (await DockerEtcdContainer.FindAsync(engine, null, null, default))?.Name);
        Assert.Null(await DockerEtcdContainer.FindAsync(engine, "etcd9", "quay.io/coreos/etcd:v9", default));
    }
}
