using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.IntegrationTests.Lab;
using EtcdDr.Lab;
using EtcdDr.Topology;
using EtcdDr.Topology.Runtimes;

namespace EtcdDr.IntegrationTests.Runtimes;

/// <summary>
/// The kubeadm runtime on real one-master labs (127.O.114.x, one after the other in this class):
/// with the host's etcdctl, and without one (--no-host-etcdctl), where the restore runs as a
/// one-shot static pod of the etcd image that the lab kubelet runs and crictl reports on.
/// </summary>
[Collection(nameof(KubeadmRuntimeLabTests))]
public sealed class KubeadmRuntimeLabTests
{
    /// <summary>The lab's manifest names the etcd 3.5.16 image but runs the host's etcd 3.4.23:
    /// restore with what really runs.</summary>
    private static MasterTopology As34(MasterTopology t) => t with { EtcdVersion = "3.4.23" };

    [Fact]
    public async Task Stop_edit_move_aside_restore_with_the_host_etcdctl_and_start_again()
    {
        var lab = new LabHarness(LabHarness.NewStateDirectory("runtime-kubeadm"), TestNets.Net(114), LabFlavor.Kubeadm, masters: 1);
        var outcome = await RuntimeLabScenario.RunAsync(lab, noHostEtcdctl: false, t =>
        {
            Assert.Equal(new EtcdTool("host", "/usr/bin/etcdctl"), t.Etcdctl);
            return As34(t);
        }, "snapshot-count", "    - --snapshot-count=10000", "    - --snapshot-count=10001");
        Assert.IsType<KubeadmRuntime>(outcome.Runtime);
        Assert.Contains("# env ETCDCTL_API=3 /usr/bin/etcdctl snapshot restore ", outcome.Transcript, StringComparison.Ordinal);
        Assert.DoesNotContain("etcd-dr-restore-master-1.yaml", outcome.Transcript, StringComparison.Ordinal);
        // The control plane went down before etcd and came back after it.
        Assert.Contains("# mv -T -- /etc/kubernetes/manifests/kube-apiserver.yaml /etc/kubernetes/etcd-dr-parked/kube-apiserver.yaml", outcome.Transcript, StringComparison.Ordinal);
        Assert.Contains("# mv -T -- /etc/kubernetes/etcd-dr-parked/kube-scheduler.yaml /etc/kubernetes/manifests/kube-scheduler.yaml", outcome.Transcript, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_host_etcdctl_the_restore_runs_in_a_one_shot_static_pod()
    {
        var lab = new LabHarness(LabHarness.NewStateDirectory("runtime-kubeadm-image"), TestNets.Net(114), LabFlavor.Kubeadm, masters: 1);
        var outcome = await RuntimeLabScenario.RunAsync(lab, noHostEtcdctl: true, t =>
        {
            Assert.Equal("crictl", t.Etcdctl.Kind);
            return As34(t);
        }, "snapshot-count", "    - --snapshot-count=10000", "    - --snapshot-count=10001");
        Assert.DoesNotContain("etcdctl snapshot restore", outcome.Transcript, StringComparison.Ordinal);
        Assert.Contains("# mv -f -T -- /etc/kubernetes/etcd-dr-parked/.etcd-dr-restore-master-1.yaml.", outcome.Transcript, StringComparison.Ordinal);
        Assert.Matches(@"# /usr/local/bin/crictl inspect \w+\n", outcome.Transcript);
        Assert.Contains("# rm -f -- /etc/kubernetes/manifests/etcd-dr-restore-master-1.yaml", outcome.Transcript, StringComparison.Ordinal);
    }
}

/// <summary>
/// The one-shot restore pod's failure path on a real lab (127.O.114.x, after the class above: xunit
/// runs classes of one collection one at a time): a damaged snapshot makes etcdctl in the pod exit
/// non-zero, the error carries its log, the manifest is gone, and the same restore with the good
/// snapshot then succeeds over whatever the failed one left.
/// </summary>
[Collection(nameof(KubeadmRuntimeLabTests))]
public sealed class KubeadmRestorePodFailureLabTests
{
    [Fact]
    public async Task A_damaged_snapshot_fails_in_the_pod_with_its_log_and_a_good_one_then_restores()
    {
        var lab = new LabHarness(LabHarness.NewStateDirectory("runtime-kubeadm-fail"), TestNets.Net(114), LabFlavor.Kubeadm, masters: 1);
        await lab.LabAsync("up", "--flavor", "kubeadm", "--masters", "1", "--net", lab.Net, "--ssh-port", LabHarness.SshPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--timeout", "90", "--output", "json", "--no-host-etcdctl");
        try
        {
            await lab.WaitHealthyAsync(1, 90);
            using (var client = lab.Client(1))
                await client.PutAsync("/dr/before", "in the snapshot", CancellationToken.None);
            var good = Path.Combine(lab.State, "snapshots", "good.db");
            Directory.CreateDirectory(Path.GetDirectoryName(good)!);
            var (exit, stdout, stderr) = await LabHarness.CliAsync("snapshot", "save", "-i", lab.Paths.Inventory, "-o", good);
            Assert.True(exit == 0, $"snapshot save exited {exit}\n{stdout}\n{stderr}");
            var bad = Path.Combine(lab.State, "snapshots", "bad.db");
            var bytes = await File.ReadAllBytesAsync(good);
            bytes[bytes.Length / 2] ^= 0xFF;
            await File.WriteAllBytesAsync(bad, bytes);

            await using var cluster = new RemoteCluster(InventoryLoader.Load(lab.Paths.Inventory), new OpenSshHostFactory(new SshOptions()));
            var topology = Assert.Single(await cluster.DiscoverAsync(CancellationToken.None)).Topology! with { EtcdVersion = "3.4.23" };
            var runtime = EtcdRuntimes.For(topology, cluster.Host("master-1"), new EtcdRuntimeOptions { PollInterval = TimeSpan.FromMilliseconds(500) });
            await runtime.StopControlPlaneAsync(CancellationToken.None);
            await runtime.StopEtcdAsync(CancellationToken.None);
            await runtime.MoveDataDirAsideAsync(topology.DataDir + ".dr-test", CancellationToken.None);

            EtcdDr.Topology.SnapshotRestoreRequest Request(string snapshot) => new(snapshot, topology.DataDir, topology.MemberName,
                $"{topology.MemberName}={topology.PeerUrls[0]}", topology.PeerUrls[0], "etcd-dr-runtime-test");
            var error = await Assert.ThrowsAsync<DrException>(() => runtime.RestoreSnapshotAsync(Request(bad), CancellationToken.None));
            Assert.StartsWith("master-1: `etcdctl snapshot restore` in the etcd image exited ", error.Message, StringComparison.Ordinal);
            Assert.Contains("logs ", error.Message, StringComparison.Ordinal);
            Assert.Equal(1, (await lab.SshAsync(1, "test -e /etc/kubernetes/manifests/etcd-dr-restore-master-1.yaml")).ExitCode);

            // The good snapshot under a new request: whatever the failed run left is not ours to overwrite.
            await runtime.MoveDataDirAsideAsync(topology.DataDir + ".failed", CancellationToken.None);
            await runtime.RestoreSnapshotAsync(Request(good), CancellationToken.None);
            await runtime.StartEtcdAsync(CancellationToken.None);
            await runtime.StartControlPlaneAsync(CancellationToken.None);
            await lab.WaitHealthyAsync(1, 90);
            using (var client = lab.Client(1))
                Assert.Equal("in the snapshot", (await client.GetAsync("/dr/before", CancellationToken.None))!.Value.ToStringUtf8());
        }
        finally
        {
            await LabHarness.CliAsync("lab", "down", "--state", lab.State);
        }
    }
}

/// <summary>The Kubespray host runtime on a real one-master lab (127.O.115.x).</summary>
public sealed class KubesprayRuntimeLabTests
{
    /// <summary>Into an empty (not absent) data dir: etcdctl 3.4.23 takes it, as etcd refuses only a non-empty one.</summary>
    [Fact]
    public async Task Stop_edit_move_aside_restore_with_the_host_etcdctl_and_start_again()
    {
        var lab = new LabHarness(LabHarness.NewStateDirectory("runtime-kubespray"), TestNets.Net(115), LabFlavor.Kubespray, masters: 1);
        var outcome = await RuntimeLabScenario.RunAsync(lab, noHostEtcdctl: false, t =>
        {
            Assert.Equal("3.4.23", t.EtcdVersion);
            Assert.Equal("host", t.Etcdctl.Kind);
            // Discovery fills these on the discovery branch; the lab's unit says User=root.
            return t with { UnitFile = "/etc/systemd/system/etcd.service", EtcdUser = "root" };
        }, "snapshot-count", "ETCD_SNAPSHOT_COUNT=10000", "ETCD_SNAPSHOT_COUNT=10001", emptyDataDir: true);
        var runtime = Assert.IsType<KubesprayHostRuntime>(outcome.Runtime);
        Assert.Null(runtime.DataDirOwner);
        Assert.Contains("# env ETCDCTL_API=3 /usr/local/bin/etcdctl snapshot restore ", outcome.Transcript, StringComparison.Ordinal);
        Assert.Contains("# systemctl start --no-block etcd", outcome.Transcript, StringComparison.Ordinal);
    }
}
