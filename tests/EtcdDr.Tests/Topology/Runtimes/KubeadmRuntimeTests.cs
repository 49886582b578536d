using EtcdDr.Testing;
using EtcdDr.Topology.Runtimes;

namespace EtcdDr.Tests.Topology.Runtimes;

public class KubeadmRuntimeTests
{
    private static (KubeadmRuntime Runtime, RecordingRemoteHost Host, SimulatedMaster Master) Setup(int lag = 1, bool controlPlane = true)
    {
        var (host, master) = RuntimeMasters.KubeadmMaster(controlPlane);
        master.KubeletLag = lag;
        return (new KubeadmRuntime(RuntimeMasters.Kubeadm(), host, RuntimeMasters.Options()), host, master);
    }

    [Fact]
    public async Task Stop_etcd_parks_the_manifest_outside_the_manifests_folder_and_waits_for_ports_and_container()
    {
        var (runtime, host, master) = Setup(lag: 2);
        await runtime.StopEtcdAsync(default);

        Assert.Equal("""
            # ls -1d -- /etc/kubernetes/manifests/etcd.yaml /etc/kubernetes/etcd-dr-parked/etcd.yaml => exit 2
            # mkdir -p -m 0700 /etc/kubernetes/etcd-dr-parked
            # mv -T -- /etc/kubernetes/manifests/etcd.yaml /etc/kubernetes/etcd-dr-parked/etcd.yaml
            # ss -Hltn
            # /usr/bin/crictl ps --name '^etcd$' -q
            # systemctl is-active kubelet
            # ss -Hltn
            # /usr/bin/crictl ps --name '^etcd$' -q

            """, host.Transcript());
        Assert.False(host.FileSystem.Exists("/etc/kubernetes/manifests/etcd.yaml"));
        Assert.Equal(Fixtures.KubeadmEtcdManifest, host.FileSystem.Text("/etc/kubernetes/etcd-dr-parked/etcd.yaml"));
        Assert.Equal("600", host.FileSystem.Files["/etc/kubernetes/etcd-dr-parked/etcd.yaml"].Mode);
        Assert.DoesNotContain("etcd.yaml", master.RunningPods);
        Assert.Contains("kube-apiserver.yaml", master.RunningPods);
        Assert.False(await runtime.IsEtcdRunningAsync(default));
    }

    [Fact]
    public async Task Stop_and_start_etcd_twice_each_end_in_the_same_state()
    {
        var (runtime, host, master) = Setup();
        await runtime.StopEtcdAsync(default);
        host.ClearTranscript();
        await runtime.StopEtcdAsync(default);
        Assert.Equal("""
            # ls -1d -- /etc/kubernetes/manifests/etcd.yaml /etc/kubernetes/etcd-dr-parked/etcd.yaml => exit 2
            # ss -Hltn
            # /usr/bin/crictl ps --name '^etcd$' -q

            """, host.Transcript());

        host.ClearTranscript();
        await runtime.StartEtcdAsync(default);
        Assert.Equal("""
            # ls -1d -- /etc/kubernetes/manifests/etcd.yaml /etc/kubernetes/etcd-dr-parked/etcd.yaml => exit 2
            # mv -T -- /etc/kubernetes/etcd-dr-parked/etcd.yaml /etc/kubernetes/manifests/etcd.yaml
            # systemctl start kubelet
            # ss -Hltn
            # ss -Hltn

            """, host.Transcript());
        Assert.Contains("etcd.yaml", master.RunningPods);
        Assert.True(await runtime.IsEtcdRunningAsync(default));

        host.ClearTranscript();
        await runtime.StartEtcdAsync(default);
        Assert.Equal("""
            # ls -1d -- /etc/kubernetes/manifests/etcd.yaml /etc/kubernetes/etcd-dr-parked/etcd.yaml => exit 2
            # systemctl start kubelet
            # ss -Hltn

            """, host.Transcript());
        Assert.Equal(Fixtures.KubeadmEtcdManifest, host.FileSystem.Text("/etc/kubernetes/manifests/etcd.yaml"));
        Assert.False(host.FileSystem.Exists("/etc/kubernetes/etcd-dr-parked/etcd.yaml"));
    }

    [Fact]
    public async Task Stop_resumed_after_the_manifest_moved_but_before_the_wait_still_waits()
    {
        var (runtime, host, master) = Setup(lag: 0);
        // The crash: the manifest is parked, kubelet has not acted yet.
        host.FileSystem.AddDirectory("/etc/kubernetes/etcd-dr-parked", "700");
        host.FileSystem.Rename("/etc/kubernetes/manifests/etcd.yaml", "/etc/kubernetes/etcd-dr-parked/etcd.yaml");
        master.KubeletLag = 3;
        master.RunningPods.Add("etcd.yaml");

        await runtime.StopEtcdAsync(default);

        var transcript = host.Transcript();
        Assert.DoesNotContain("mv ", transcript);
        Assert.True(transcript.Split('\n').Count(l => l == "# ss -Hltn") >= 2, transcript);
        Assert.DoesNotContain("etcd.yaml", master.RunningPods);
    }

    [Fact]
    public async Task Stop_etcd_with_kubelet_stopped_starts_kubelet_for_the_wait_and_stops_it_again()
    {
        var (runtime, host, master) = Setup(lag: 0);
        master.Units["kubelet"] = false;

        await runtime.StopEtcdAsync(default);

        Assert.Equal("""
            # ls -1d -- /etc/kubernetes/manifests/etcd.yaml /etc/kubernetes/etcd-dr-parked/etcd.yaml => exit 2
            # mkdir -p -m 0700 /etc/kubernetes/etcd-dr-parked
            # mv -T -- /etc/kubernetes/manifests/etcd.yaml /etc/kubernetes/etcd-dr-parked/etcd.yaml
            # ss -Hltn
            # /usr/bin/crictl ps --name '^etcd$' -q
            # systemctl is-active kubelet => exit 3
            # systemctl start kubelet
            # ss -Hltn
            # /usr/bin/crictl ps --name '^etcd$' -q
            # systemctl stop kubelet

            """, host.Transcript());
        Assert.False(master.KubeletActive);
        Assert.DoesNotContain("etcd.yaml", master.RunningPods);
    }

    [Fact]
    public async Task Without_an_answering_crictl_the_ports_alone_decide()
    {
        var (runtime, host, master) = Setup(lag: 0);
        master.CrictlAnswers = false;
        await runtime.StopEtcdAsync(default);
        Assert.Single(host.Commands, c => c.CommandLine.Contains("crictl", StringComparison.Ordinal));
        Assert.DoesNotContain("etcd.yaml", master.RunningPods);
    }

    [Fact]
    public async Task A_manifest_both_live_and_parked_is_refused_untouched()
    {
        var (runtime, host, _) = Setup();
        host.FileSystem.AddFile("/etc/kubernetes/etcd-dr-parked/etcd.yaml", "older copy");
        var error = await Assert.ThrowsAsync<DrException>(() => runtime.StopEtcdAsync(default));
        Assert.Equal(FailureKind.Refused, error.Kind);
        Assert.Contains("both /etc/kubernetes/manifests/etcd.yaml and /etc/kubernetes/etcd-dr-parked/etcd.yaml exist", error.Message);
        Assert.Equal("older copy", host.FileSystem.Text("/etc/kubernetes/etcd-dr-parked/etcd.yaml"));
        Assert.Single(host.Commands);
    }

    [Fact]
    public async Task A_manifest_parked_by_hand_beside_the_manifests_folder_counts_as_stopped_and_is_put_back()
    {
        var (runtime, host, master) = Setup(lag: 0);
        master.Units["kubelet"] = false;
        master.RunningPods.Clear();
        host.FileSystem.Rename("/etc/kubernetes/manifests/etcd.yaml", "/etc/kubernetes/etcd.yaml");

        await runtime.StopEtcdAsync(default);
        Assert.True(host.FileSystem.IsFile("/etc/kubernetes/etcd.yaml"));
        var edited = runtime.EditConfig(await runtime.ReadConfigAsync(default), new Dictionary<string, string?> { ["initial-cluster-state"] = "existing" });
        await runtime.WriteConfigAsync(edited, default);
        Assert.Equal(edited, host.FileSystem.Text("/etc/kubernetes/etcd.yaml"));
        Assert.DoesNotContain("/etc/kubernetes/manifests/.etcd", host.Transcript());

        await runtime.StartEtcdAsync(default);
        Assert.Contains("# mv -T -- /etc/kubernetes/etcd.yaml /etc/kubernetes/manifests/etcd.yaml\n", host.Transcript());
        Assert.Equal(edited, host.FileSystem.Text("/etc/kubernetes/manifests/etcd.yaml"));
        Assert.Contains("etcd.yaml", master.RunningPods);
    }

    [Fact]
    public async Task Writing_the_live_manifest_stages_its_temporary_copy_outside_the_manifests_folder()
    {
        var (runtime, host, master) = Setup(lag: 0);
        var edited = runtime.EditConfig(await runtime.ReadConfigAsync(default), new Dictionary<string, string?> { ["snapshot-count"] = "10001" });
        await runtime.WriteConfigAsync(edited, default);
        Assert.Contains("# mkdir -p -m 0700 /etc/kubernetes/etcd-dr-parked\n# install -m 0600 /dev/stdin /etc/kubernetes/etcd-dr-parked/.etcd.yaml.n1.etcd-dr-tmp", host.Transcript());
        Assert.Equal(edited, host.FileSystem.Text("/etc/kubernetes/manifests/etcd.yaml"));
        Assert.DoesNotContain(host.FileSystem.Entries("/etc/kubernetes/manifests"), e => e.Contains("tmp", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_pod_that_never_stops_fails_the_stop_with_what_still_listens()
    {
        var (runtime, _, master) = Setup(lag: 1_000_000);
        var error = await Assert.ThrowsAsync<DrException>(() => runtime.StopEtcdAsync(default));
        Assert.StartsWith("cp-1: etcd stopping did not happen within 120 s: 10.0.0.11:2379, 10.0.0.11:2380 still listening", error.Message);
        Assert.Contains("etcd.yaml", master.RunningPods);
    }

    [Fact]
    public async Task Control_plane_stop_parks_the_three_manifests_waits_for_6443_then_stops_kubelet()
    {
        var (runtime, host, master) = Setup(lag: 1);
        await runtime.StopControlPlaneAsync(default);
        Assert.Equal("""
            # ls -1d -- /etc/kubernetes/manifests/kube-apiserver.yaml /etc/kubernetes/etcd-dr-parked/kube-apiserver.yaml => exit 2
            # cat -- /etc/kubernetes/manifests/kube-apiserver.yaml |
            # ls -1d -- /etc/kubernetes/manifests/kube-apiserver.yaml /etc/kubernetes/etcd-dr-parked/kube-apiserver.yaml => exit 2
            # mkdir -p -m 0700 /etc/kubernetes/etcd-dr-parked
            # mv -T -- /etc/kubernetes/manifests/kube-apiserver.yaml /etc/kubernetes/etcd-dr-parked/kube-apiserver.yaml
            # ls -1d -- /etc/kubernetes/manifests/kube-controller-manager.yaml /etc/kubernetes/etcd-dr-parked/kube-controller-manager.yaml => exit 2
            # mkdir -p -m 0700 /etc/kubernetes/etcd-dr-parked
            # mv -T -- /etc/kubernetes/manifests/kube-controller-manager.yaml /etc/kubernetes/etcd-dr-parked/kube-controller-manager.yaml
            # ls -1d -- /etc/kubernetes/manifests/kube-scheduler.yaml /etc/kubernetes/etcd-dr-parked/kube-scheduler.yaml => exit 2
            # mkdir -p -m 0700 /etc/kubernetes/etcd-dr-parked
            # mv -T -- /etc/kubernetes/manifests/kube-scheduler.yaml /etc/kubernetes/etcd-dr-parked/kube-scheduler.yaml
            # ss -Hltn
            # /usr/bin/crictl ps --name '^(kube-apiserver|kube-controller-manager|kube-scheduler)$' -q
            # systemctl is-active kubelet
            # ss -Hltn
            # /usr/bin/crictl ps --name '^(kube-apiserver|kube-controller-manager|kube-scheduler)$' -q
            # systemctl stop kubelet

            """, host.Transcript());
        Assert.Equal(["etcd.yaml"], master.RunningPods);
        Assert.False(master.KubeletActive);

        host.ClearTranscript();
        await runtime.StopControlPlaneAsync(default);
        Assert.DoesNotContain("mv ", host.Transcript());
        Assert.EndsWith("# systemctl stop kubelet\n", host.Transcript());

        host.ClearTranscript();
        await runtime.StartControlPlaneAsync(default);
        Assert.Equal("""
            # systemctl start kubelet
            # systemctl is-active kubelet
            # ls -1d -- /etc/kubernetes/manifests/kube-apiserver.yaml /etc/kubernetes/etcd-dr-parked/kube-apiserver.yaml => exit 2
            # mv -T -- /etc/kubernetes/etcd-dr-parked/kube-apiserver.yaml /etc/kubernetes/manifests/kube-apiserver.yaml
            # ls -1d -- /etc/kubernetes/manifests/kube-controller-manager.yaml /etc/kubernetes/etcd-dr-parked/kube-controller-manager.yaml => exit 2
            # mv -T -- /etc/kubernetes/etcd-dr-parked/kube-controller-manager.yaml /etc/kubernetes/manifests/kube-controller-manager.yaml
            # ls -1d -- /etc/kubernetes/manifests/kube-scheduler.yaml /etc/kubernetes/etcd-dr-parked/kube-scheduler.yaml => exit 2
            # mv -T -- /etc/kubernetes/etcd-dr-parked/kube-scheduler.yaml /etc/kubernetes/manifests/kube-scheduler.yaml

            """, host.Transcript());
        host.ClearTranscript();
        await runtime.StartControlPlaneAsync(default);
        Assert.DoesNotContain("mv ", host.Transcript());
        Assert.Equal(RuntimeMasters.ApiServerManifest, host.FileSystem.Text("/etc/kubernetes/manifests/kube-apiserver.yaml"));
    }

    [Fact]
    public async Task Control_plane_stop_on_a_master_without_those_manifests_only_stops_kubelet()
    {
        var (runtime, host, master) = Setup(controlPlane: false);
        await runtime.StopControlPlaneAsync(default);
        Assert.DoesNotContain("mv ", host.Transcript());
        Assert.DoesNotContain("ss ", host.Transcript());
        Assert.EndsWith("# systemctl stop kubelet\n", host.Transcript());
        Assert.False(master.KubeletActive);
    }

    [Fact]
    public async Task Config_is_read_and_written_where_the_manifest_is_now_keeping_mode_and_owner()
    {
        var (runtime, host, _) = Setup(lag: 0);
        await runtime.StopEtcdAsync(default);
        host.ClearTranscript();

        var text = await runtime.ReadConfigAsync(default);
        var edited = runtime.EditConfig(text, new Dictionary<string, string?> { ["initial-cluster-state"] = "existing" });
        await runtime.WriteConfigAsync(edited, default);

        Assert.Equal($"""
            # ls -1d -- /etc/kubernetes/manifests/etcd.yaml /etc/kubernetes/etcd-dr-parked/etcd.yaml => exit 2
            # cat -- /etc/kubernetes/etcd-dr-parked/etcd.yaml |
            # ls -1d -- /etc/kubernetes/manifests/etcd.yaml /etc/kubernetes/etcd-dr-parked/etcd.yaml => exit 2
            # stat -c '%a %U:%G' -- /etc/kubernetes/etcd-dr-parked/etcd.yaml
            # test -d /etc/kubernetes/etcd-dr-parked
            # install -m 0600 /dev/stdin /etc/kubernetes/etcd-dr-parked/.etcd.yaml.n1.etcd-dr-tmp < sha256:{Sha(edited)[..12]}
            # chown root:root /etc/kubernetes/etcd-dr-parked/.etcd.yaml.n1.etcd-dr-tmp
            # mv -f -T -- /etc/kubernetes/etcd-dr-parked/.etcd.yaml.n1.etcd-dr-tmp /etc/kubernetes/etcd-dr-parked/etcd.yaml

            """, host.Transcript());
        Assert.False(host.FileSystem.Exists("/etc/kubernetes/manifests/etcd.yaml"));
        Assert.Equal(edited, host.FileSystem.Text("/etc/kubernetes/etcd-dr-parked/etcd.yaml"));
        Assert.Equal("600", host.FileSystem.Files["/etc/kubernetes/etcd-dr-parked/etcd.yaml"].Mode);
        Assert.Equal(["etcd.yaml"], host.FileSystem.Entries("/etc/kubernetes/etcd-dr-parked"));
    }

    [Fact]
    public async Task Moving_the_data_dir_aside_is_refused_while_etcd_runs_and_done_once_after()
    {
        var (runtime, host, _) = Setup(lag: 0);
        var refused = await Assert.ThrowsAsync<DrException>(() => runtime.MoveDataDirAsideAsync("/var/lib/etcd.dr-20261206T030000Z", default));
        Assert.Equal(FailureKind.Refused, refused.Kind);
        Assert.True(host.FileSystem.IsDirectory("/var/lib/etcd/member"));

        await runtime.StopEtcdAsync(default);
        host.ClearTranscript();
        await runtime.MoveDataDirAsideAsync("/var/lib/etcd.dr-20261206T030000Z", default);
        Assert.Equal("""
            # ls -1d -- /var/lib/etcd /var/lib/etcd.dr-20261206T030000Z => exit 2
            # ss -Hltn
            # /usr/bin/crictl ps --name '^etcd$' -q
            # mv -T -- /var/lib/etcd /var/lib/etcd.dr-20261206T030000Z

            """, host.Transcript());
        Assert.Equal("old data", host.FileSystem.Text("/var/lib/etcd.dr-20261206T030000Z/member/snap/db"));

        host.ClearTranscript();
        await runtime.MoveDataDirAsideAsync("/var/lib/etcd.dr-20261206T030000Z", default);
        Assert.Equal("# ls -1d -- /var/lib/etcd /var/lib/etcd.dr-20261206T030000Z => exit 2\n", host.Transcript());

        host.FileSystem.AddDirectory("/var/lib/etcd");
        var taken = await Assert.ThrowsAsync<DrException>(() => runtime.MoveDataDirAsideAsync("/var/lib/etcd.dr-20261206T030000Z", default));
        Assert.Contains("/var/lib/etcd.dr-20261206T030000Z already exists", taken.Message);
    }

    [Fact]
    public void Describe_names_the_moves_and_waits()
    {
        var (runtime, _, _) = Setup();
        Assert.Equal(
        [
            "mkdir -p -m 0700 /etc/kubernetes/etcd-dr-parked",
            "mv -T -- /etc/kubernetes/manifests/etcd.yaml /etc/kubernetes/etcd-dr-parked/etcd.yaml (unless it is parked already)",
            "wait until 10.0.0.11:2379 and 10.0.0.11:2380 no longer listen (ss -Hltn) and `/usr/bin/crictl ps --name '^etcd$' -q` is empty where crictl answers (kubelet is started for the wait if it is stopped, and stopped again after)",
        ], runtime.DescribeEtcd(stop: true));
        Assert.Equal(
        [
            "mv -T -- /etc/kubernetes/etcd-dr-parked/etcd.yaml /etc/kubernetes/manifests/etcd.yaml (unless it is live already)",
            "systemctl start kubelet",
            "wait until 10.0.0.11:2379 listens (ss -Hltn)",
        ], runtime.DescribeEtcd(stop: false));
        Assert.Contains("mv -T -- /etc/kubernetes/manifests/kube-scheduler.yaml /etc/kubernetes/etcd-dr-parked/kube-scheduler.yaml (when it exists)", runtime.DescribeControlPlane(stop: true));
        Assert.Equal("systemctl stop kubelet", runtime.DescribeControlPlane(stop: true)[^1]);
    }

    internal static string Sha(string text) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
}
