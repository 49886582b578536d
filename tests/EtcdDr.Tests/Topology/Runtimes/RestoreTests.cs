using EtcdDr.Testing;
using EtcdDr.Topology;
using EtcdDr.Topology.Runtimes;

namespace EtcdDr.Tests.Topology.Runtimes;

public class RestoreTests
{
    private const string Cluster = "etcd1=https://10.0.0.21:2380,etcd2=https://10.0.0.22:2380,etcd3=https://10.0.0.23:2380";

    private static SnapshotRestoreRequest KubesprayRequest(long bump = 0) =>
        RuntimeMasters.Request("etcd1", "https://10.0.0.21:2380", Cluster, bump);

    [Theory]
    [InlineData("3.4.23", "env ETCDCTL_API=3 /usr/local/bin/etcdctl snapshot restore /var/backups/etcd-dr/snap.db --name=etcd1 --initial-cluster=" + Cluster + " --initial-cluster-token=etcd-dr-20261206T030000Z --initial-advertise-peer-urls=https://10.0.0.21:2380 --data-dir=/var/lib/etcd")]
    [InlineData("3.5.9", "/usr/local/bin/etcdutl snapshot restore /var/backups/etcd-dr/snap.db --name=etcd1 --initial-cluster=" + Cluster + " --initial-cluster-token=etcd-dr-20261206T030000Z --initial-advertise-peer-urls=https://10.0.0.21:2380 --data-dir=/var/lib/etcd")]
    [InlineData("3.5.15", "/usr/local/bin/etcdutl snapshot restore /var/backups/etcd-dr/snap.db --name=etcd1 --initial-cluster=" + Cluster + " --initial-cluster-token=etcd-dr-20261206T030000Z --initial-advertise-peer-urls=https://10.0.0.21:2380 --data-dir=/var/lib/etcd --bump-revision=1000000000 --mark-compacted")]
    [InlineData("3.6.1", "/usr/local/bin/etcdutl snapshot restore /var/backups/etcd-dr/snap.db --name=etcd1 --initial-cluster=" + Cluster + " --initial-cluster-token=etcd-dr-20261206T030000Z --initial-advertise-peer-urls=https://10.0.0.21:2380 --data-dir=/var/lib/etcd --bump-revision=1000000000 --mark-compacted")]
    public void The_tool_follows_the_version(string version, string command)
    {
        var (host, _) = RuntimeMasters.KubesprayMaster();
        var runtime = new KubesprayHostRuntime(RuntimeMasters.Kubespray(version), host, RuntimeMasters.Options());
        Assert.Equal(
        [
            "refuse unless /var/lib/etcd is absent or empty (or holds this very restore, interrupted or done: see /var/lib/.etcd.etcd-dr-restore)",
            command,
            "(when /var/lib/etcd exists empty: the same with --data-dir=/var/lib/etcd/.etcd-dr-restoring, then mv -T -- /var/lib/etcd/.etcd-dr-restoring/member /var/lib/etcd/member; rmdir -- /var/lib/etcd/.etcd-dr-restoring)",
            "chown -R etcd:etcd /var/lib/etcd",
        ], runtime.DescribeRestore(KubesprayRequest(EtcdRestoreTool.RecommendedBumpRevision)));
        Assert.Empty(host.Commands);
    }

    [Fact]
    public void Etcd_3_6_never_falls_back_on_etcdctl()
    {
        var (host, _) = RuntimeMasters.KubesprayMaster();
        var topology = RuntimeMasters.Kubespray("3.6.1") with { Etcdutl = EtcdTool.None };
        var error = Assert.Throws<DrException>(() => new KubesprayHostRuntime(topology, host).DescribeRestore(KubesprayRequest()));
        Assert.Equal("node1: no etcdutl on this master for etcd 3.6.1; install etcd's etcdutl 3.6.1 in /usr/local/bin and plan again", error.Message);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("3.3.27")]
    public void An_unknown_or_too_old_version_is_a_usage_error(string? version)
    {
        var (host, _) = RuntimeMasters.KubesprayMaster();
        var runtime = new KubesprayHostRuntime(RuntimeMasters.Kubespray() with { EtcdVersion = version }, host);
        Assert.Equal(FailureKind.Usage, Assert.Throws<DrException>(() => runtime.DescribeRestore(KubesprayRequest())).Kind);
    }

    [Fact]
    public async Task Kubespray_restore_with_the_host_etcdctl_into_the_moved_aside_data_dir_then_owner_fixed()
    {
        var (host, master) = RuntimeMasters.KubesprayMaster();
        var runtime = new KubesprayHostRuntime(RuntimeMasters.Kubespray("3.4.23"), host, RuntimeMasters.Options());
        await runtime.StopEtcdAsync(default);
        await runtime.MoveDataDirAsideAsync("/var/lib/etcd.dr-20261206T030000Z", default);
        host.ClearTranscript();

        await runtime.RestoreSnapshotAsync(KubesprayRequest(), default);

        var fingerprint = SnapshotRestorer.Fingerprint(KubesprayRequest());
        Assert.Equal($"""
            # test -d /var/lib/etcd => exit 1
            # test -e /var/lib/etcd => exit 1
            # test -d /var/lib
            # install -m 0600 /dev/stdin /var/lib/..etcd.etcd-dr-restore.n1.etcd-dr-tmp < sha256:{KubeadmRuntimeTests.Sha("running " + fingerprint + "\n")[..12]}
            # chown root:root /var/lib/..etcd.etcd-dr-restore.n1.etcd-dr-tmp
            # mv -f -T -- /var/lib/..etcd.etcd-dr-restore.n1.etcd-dr-tmp /var/lib/.etcd.etcd-dr-restore
            # env ETCDCTL_API=3 /usr/local/bin/etcdctl snapshot restore /var/backups/etcd-dr/snap.db --name=etcd1 --initial-cluster={Cluster} --initial-cluster-token=etcd-dr-20261206T030000Z --initial-advertise-peer-urls=https://10.0.0.21:2380 --data-dir=/var/lib/etcd
            # chown -R etcd:etcd /var/lib/etcd
            # install -m 0600 /dev/stdin /var/lib/..etcd.etcd-dr-restore.n2.etcd-dr-tmp < sha256:{KubeadmRuntimeTests.Sha("done " + fingerprint + "\n")[..12]}
            # chown root:root /var/lib/..etcd.etcd-dr-restore.n2.etcd-dr-tmp
            # mv -f -T -- /var/lib/..etcd.etcd-dr-restore.n2.etcd-dr-tmp /var/lib/.etcd.etcd-dr-restore

            """, host.Transcript());
        Assert.Equal("etcd:etcd", host.FileSystem.Files["/var/lib/etcd/member/snap/db"].Owner);
        Assert.Equal("etcd:etcd", host.FileSystem.Directories["/var/lib/etcd"].Owner);
        Assert.Equal("old data", host.FileSystem.Text("/var/lib/etcd.dr-20261206T030000Z/member/snap/db"));
        Assert.False(master.Units["etcd"]);

        // Run again (a crash after the restore, before the journal said so): nothing is restored twice.
        host.ClearTranscript();
        await runtime.RestoreSnapshotAsync(KubesprayRequest(), default);
        Assert.Equal("""
            # test -d /var/lib/etcd
            # ls -A -- /var/lib/etcd
            # test -f /var/lib/.etcd.etcd-dr-restore
            # cat -- /var/lib/.etcd.etcd-dr-restore |
            # chown -R etcd:etcd /var/lib/etcd

            """, host.Transcript());
    }

    [Fact]
    public async Task A_non_empty_data_dir_is_refused_before_anything_runs()
    {
        var (host, _) = RuntimeMasters.KubesprayMaster();
        var runtime = new KubesprayHostRuntime(RuntimeMasters.Kubespray("3.4.23"), host, RuntimeMasters.Options());
        var before = host.FileSystem.Describe();

        var error = await Assert.ThrowsAsync<DrException>(() => runtime.RestoreSnapshotAsync(KubesprayRequest(), default));

        Assert.Equal(FailureKind.Refused, error.Kind);
        Assert.Equal("node1: /var/lib/etcd is not empty (member); a restore never writes over data: move it aside first", error.Message);
        Assert.Equal(before, host.FileSystem.Describe());
        Assert.DoesNotContain(host.Commands, c => c.CommandLine.Contains("snapshot restore", StringComparison.Ordinal) || c.Argv[0] is "install" or "mv");
    }

    [Fact]
    public async Task An_interrupted_restore_of_ours_is_moved_aside_and_run_again()
    {
        var (host, _) = RuntimeMasters.KubesprayMaster();
        var runtime = new KubesprayHostRuntime(RuntimeMasters.Kubespray("3.5.15"), host, RuntimeMasters.Options());
        host.FileSystem.Rename("/var/lib/etcd", "/var/lib/etcd.dr-1");
        host.FileSystem.AddFile("/var/lib/etcd/member/snap/db", "half", "600");
        host.FileSystem.AddFile("/var/lib/.etcd.etcd-dr-restore", "running " + SnapshotRestorer.Fingerprint(KubesprayRequest(7)) + "\n", "600");

        await runtime.RestoreSnapshotAsync(KubesprayRequest(7), default);

        Assert.Equal("half", host.FileSystem.Text("/var/lib/etcd.etcd-dr-partial-20261206T030000Z/member/snap/db"));
        Assert.StartsWith("restored:/usr/local/bin/etcdutl snapshot restore", host.FileSystem.Text("/var/lib/etcd/member/snap/db"));
        Assert.EndsWith("--bump-revision=7 --mark-compacted", host.FileSystem.Text("/var/lib/etcd/member/snap/db"));
        Assert.StartsWith("done ", host.FileSystem.Text("/var/lib/.etcd.etcd-dr-restore"));

        // A marker for another request does not count as ours.
        host.FileSystem.AddFile("/var/lib/.etcd.etcd-dr-restore", "running member=other\n", "600");
        Assert.Equal(FailureKind.Refused, (await Assert.ThrowsAsync<DrException>(() => runtime.RestoreSnapshotAsync(KubesprayRequest(7), default))).Kind);
    }

    [Fact]
    public async Task Kubeadm_without_host_tools_restores_in_a_one_shot_static_pod_of_the_etcd_image()
    {
        var (host, master) = RuntimeMasters.KubeadmMaster();
        master.KubeletLag = 0;
        var runtime = new KubeadmRuntime(RuntimeMasters.Kubeadm("3.5.15"), host, RuntimeMasters.Options());
        host.FileSystem.AddFile("/var/backups/etcd-dr/snap.db", "snapshot", "600");
        await runtime.StopControlPlaneAsync(default);
        await runtime.StopEtcdAsync(default);
        await runtime.MoveDataDirAsideAsync("/var/lib/etcd.dr-1", default);
        host.ClearTranscript();
        var request = RuntimeMasters.Request(bump: EtcdRestoreTool.RecommendedBumpRevision);
        var executor = new StaticPodRestoreExecutor(new MasterShell(host, RuntimeMasters.Options()), RuntimeMasters.Kubeadm("3.5.15"), "registry.k8s.io/etcd:3.5.15-0");
        var manifest = executor.Manifest(EtcdRestoreTool.For("cp-1", "3.5.15", request), request);

        await runtime.RestoreSnapshotAsync(request, default);

        Assert.Equal("""
            # etcd-dr: one-shot `snapshot restore` for member cp-1; removed when it has run
            apiVersion: v1
            kind: Pod
            metadata:
              name: 'etcd-dr-restore-cp-1'
              namespace: kube-system
              labels:
                app.kubernetes.io/managed-by: etcd-dr
            spec:
              restartPolicy: Never
              hostNetwork: true
              priorityClassName: system-node-critical
              containers:
              - name: etcd-dr-restore
                image: 'registry.k8s.io/etcd:3.5.15-0'
                imagePullPolicy: IfNotPresent
                command:
                - 'etcdutl'
                - 'snapshot'
                - 'restore'
                - '/var/backups/etcd-dr/snap.db'
                - '--name=cp-1'
                - '--initial-cluster=cp-1=https://10.0.0.11:2380'
                - '--initial-cluster-token=etcd-dr-20261206T030000Z'
                - '--initial-advertise-peer-urls=https://10.0.0.11:2380'
                - '--data-dir=/var/lib/etcd'
                - '--bump-revision=1000000000'
                - '--mark-compacted'
                volumeMounts:
                - name: snapshot
                  mountPath: '/var/backups/etcd-dr'
                  readOnly: true
                - name: data-parent
                  mountPath: '/var/lib'
              volumes:
              - name: snapshot
                hostPath:
                  path: '/var/backups/etcd-dr'
                  type: Directory
              - name: data-parent
                hostPath:
                  path: '/var/lib'
                  type: DirectoryOrCreate

            """, manifest);
        // The manifest parses as the static pod kubelet will run.
        var pod = StaticPodManifest.Parse(manifest, "restore pod");
        Assert.Equal("etcd-dr-restore", pod.ContainerName);
        Assert.Equal("etcdutl", pod.Command[0]);

        var transcript = host.Transcript();
        Assert.Contains($"# install -m 0600 /dev/stdin /etc/kubernetes/etcd-dr-parked/.etcd-dr-restore-cp-1.yaml.n2.etcd-dr-tmp < sha256:{KubeadmRuntimeTests.Sha(manifest)[..12]}\n", transcript);
        Assert.Contains("""
            # mv -f -T -- /etc/kubernetes/etcd-dr-parked/.etcd-dr-restore-cp-1.yaml.n2.etcd-dr-tmp /etc/kubernetes/manifests/etcd-dr-restore-cp-1.yaml
            # /usr/bin/crictl ps -a --name '^etcd-dr-restore$' -o json
            # /usr/bin/crictl inspect c005
            # rm -f -- /etc/kubernetes/manifests/etcd-dr-restore-cp-1.yaml
            # systemctl stop kubelet

            """, transcript);
        Assert.DoesNotContain("chown -R", transcript); // kubeadm's etcd runs as root
        Assert.False(host.FileSystem.Exists("/etc/kubernetes/manifests/etcd-dr-restore-cp-1.yaml"));
        Assert.StartsWith("restored:etcdutl snapshot restore /var/backups/etcd-dr/snap.db --name=cp-1", host.FileSystem.Text("/var/lib/etcd/member/snap/db"));
        Assert.Equal(["etcd.yaml", "kube-apiserver.yaml", "kube-controller-manager.yaml", "kube-scheduler.yaml"], host.FileSystem.Entries("/etc/kubernetes/etcd-dr-parked"));
    }

    [Fact]
    public async Task A_failing_restore_pod_fails_with_its_logs_and_its_manifest_is_taken_out()
    {
        var (host, master) = RuntimeMasters.KubeadmMaster();
        master.KubeletLag = 0;
        master.RestoreExitCode = 2;
        var runtime = new KubeadmRuntime(RuntimeMasters.Kubeadm("3.4.23"), host, RuntimeMasters.Options());
        await runtime.StopEtcdAsync(default);
        await runtime.MoveDataDirAsideAsync("/var/lib/etcd.dr-1", default);

        var error = await Assert.ThrowsAsync<DrException>(() => runtime.RestoreSnapshotAsync(RuntimeMasters.Request(), default));

        Assert.Equal("cp-1: `etcdctl snapshot restore` in the etcd image exited 2: Error: snapshot file has no SHA-256 trailer (`/usr/bin/crictl logs c005` has it all)", error.Message);
        Assert.False(host.FileSystem.Exists("/etc/kubernetes/manifests/etcd-dr-restore-cp-1.yaml"));
        Assert.False(host.FileSystem.Exists("/var/lib/etcd"));
        Assert.Contains("# /usr/bin/crictl logs c005\n", host.Transcript());
        Assert.EndsWith("# rm -f -- /etc/kubernetes/manifests/etcd-dr-restore-cp-1.yaml\n", host.Transcript());
        Assert.True(master.KubeletActive); // it was running before, so it stays running
    }
}

public class RestorePodResumeTests
{
    [Fact]
    public async Task An_existing_empty_data_dir_is_filled_through_a_temp_folder_inside_it_as_etcdctl_refuses_it()
    {
        var (host, _) = RuntimeMasters.KubesprayMaster();
        var runtime = new KubesprayHostRuntime(RuntimeMasters.Kubespray("3.4.23"), host, RuntimeMasters.Options());
        host.FileSystem.Rename("/var/lib/etcd", "/var/lib/etcd.dr-1");
        host.FileSystem.AddDirectory("/var/lib/etcd", "700", "etcd:etcd");
        var request = RuntimeMasters.Request("etcd1", "https://10.0.0.21:2380", "etcd1=https://10.0.0.21:2380");
        host.ClearTranscript();

        await runtime.RestoreSnapshotAsync(request, default);

        var transcript = host.Transcript();
        Assert.Contains(" --data-dir=/var/lib/etcd/.etcd-dr-restoring\n# mv -T -- /var/lib/etcd/.etcd-dr-restoring/member /var/lib/etcd/member\n# rmdir -- /var/lib/etcd/.etcd-dr-restoring\n# chown -R etcd:etcd /var/lib/etcd\n", transcript);
        Assert.Equal(["member"], host.FileSystem.Entries("/var/lib/etcd"));
        Assert.Equal("700", host.FileSystem.Directories["/var/lib/etcd"].Mode);
        Assert.Contains("--data-dir=/var/lib/etcd/.etcd-dr-restoring", host.FileSystem.Text("/var/lib/etcd/member/snap/db"));

        // A crash after the tool wrote the temp folder, before the rename: only the temp folder goes aside.
        host.FileSystem.AddDirectory("/var/lib/etcd/.etcd-dr-restoring", "700");
        host.FileSystem.Rename("/var/lib/etcd/member", "/var/lib/etcd/.etcd-dr-restoring/member");
        host.FileSystem.AddFile("/var/lib/.etcd.etcd-dr-restore", "running " + SnapshotRestorer.Fingerprint(request) + "\n", "600");
        host.ClearTranscript();
        await runtime.RestoreSnapshotAsync(request, default);
        Assert.Contains("# mv -T -- /var/lib/etcd/.etcd-dr-restoring /var/lib/etcd.etcd-dr-partial-20261206T030000Z\n", host.Transcript());
        Assert.Equal(["member"], host.FileSystem.Entries("/var/lib/etcd"));
        Assert.True(host.FileSystem.IsFile("/var/lib/etcd.etcd-dr-partial-20261206T030000Z/member/snap/db"));
    }

    [Fact]
    public async Task A_restore_pod_manifest_left_by_a_crash_is_taken_out_and_its_container_awaited_before_a_new_one()
    {
        var (host, master) = RuntimeMasters.KubeadmMaster();
        master.KubeletLag = 0;
        var runtime = new KubeadmRuntime(RuntimeMasters.Kubeadm("3.4.23"), host, RuntimeMasters.Options());
        await runtime.StopEtcdAsync(default);
        await runtime.MoveDataDirAsideAsync("/var/lib/etcd.dr-1", default);
        // The crash: our manifest still in the folder, its container running, nothing restored yet.
        host.FileSystem.AddFile("/etc/kubernetes/manifests/etcd-dr-restore-cp-1.yaml", "left over", "600");
        master.RunningPods.Add("etcd-dr-restore-cp-1.yaml");
        master.PodListens["etcd-dr-restore-cp-1.yaml"] = [];
        host.ClearTranscript();

        await runtime.RestoreSnapshotAsync(RuntimeMasters.Request(), default);

        var transcript = host.Transcript();
        var removed = transcript.IndexOf("# rm -f -- /etc/kubernetes/manifests/etcd-dr-restore-cp-1.yaml\n# /usr/bin/crictl ps --name '^etcd-dr-restore$' -q\n", StringComparison.Ordinal);
        var written = transcript.IndexOf("# mv -f -T -- /etc/kubernetes/etcd-dr-parked/.etcd-dr-restore-cp-1.yaml.", StringComparison.Ordinal);
        Assert.True(removed >= 0 && written > removed, transcript);
        Assert.StartsWith("restored:etcdctl snapshot restore", host.FileSystem.Text("/var/lib/etcd/member/snap/db"));
        Assert.False(host.FileSystem.Exists("/etc/kubernetes/manifests/etcd-dr-restore-cp-1.yaml"));
    }
}
