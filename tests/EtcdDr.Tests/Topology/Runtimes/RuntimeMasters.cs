using EtcdDr.Testing;
using EtcdDr.Topology;
using EtcdDr.Topology.Runtimes;

namespace EtcdDr.Tests.Topology.Runtimes;

/// <summary>Fake kubeadm and Kubespray masters (files + a simulated kubelet/systemd) and their topologies, built directly.</summary>
public static class RuntimeMasters
{
    public const string ApiServerManifest = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: kube-apiserver
          namespace: kube-system
        spec:
          containers:
          - command:
            - kube-apiserver
            - --advertise-address=10.0.0.11
            - --etcd-servers=https://127.0.0.1:2379
            - --secure-port=6443
            image: registry.k8s.io/kube-apiserver:v1.31.2
            name: kube-apiserver
          hostNetwork: true
        status: {}

        """;

    public static string Component(string name) => $"""
        apiVersion: v1
        kind: Pod
        metadata:
          name: {name}
          namespace: kube-system
        spec:
          containers:
          - command:
            - {name}
            - --kubeconfig=/etc/kubernetes/{name[5..]}.conf
            image: registry.k8s.io/{name}:v1.31.2
            name: {name}
          hostNetwork: true
        status: {"{}"}

        """;

    public static EtcdRuntimeOptions Options(FakeClock? clock = null)
    {
        clock ??= new FakeClock(new DateTimeOffset(2026, 12, 6, 3, 0, 0, TimeSpan.Zero));
        var nonce = 0;
        return new EtcdRuntimeOptions
        {
            Time = clock,
            Sleep = (delay, _) => { clock.Advance(delay); return Task.CompletedTask; },
            Nonce = () => $"n{++nonce}",
        };
    }

    public static MasterTopology Kubeadm(string version = "3.5.15", EtcdTool? etcdctl = null, EtcdTool? etcdutl = null) => new(
        "cp-1", EtcdFlavor.Kubeadm, "/etc/kubernetes/manifests/etcd.yaml", "cp-1", "/var/lib/etcd",
        ["https://10.0.0.11:2380"], ["https://10.0.0.11:2379"], "cp-1=https://10.0.0.11:2380", null,
        new EtcdCertPaths("/etc/kubernetes/pki/etcd/ca.crt"), version, $"registry.k8s.io/etcd:{version}-0",
        etcdctl ?? new EtcdTool("crictl", "/usr/bin/crictl", $"registry.k8s.io/etcd:{version}-0"),
        etcdutl ?? new EtcdTool("crictl", "/usr/bin/crictl", $"registry.k8s.io/etcd:{version}-0"),
        true, "active", [], PodDataDir: "/var/lib/etcd", ConfigText: Fixtures.KubeadmEtcdManifest);

    public static MasterTopology Kubespray(string version = "3.5.15", string? user = "etcd") => new(
        "node1", EtcdFlavor.Kubespray, "/etc/etcd.env", "etcd1", "/var/lib/etcd",
        ["https://10.0.0.21:2380"], ["https://10.0.0.21:2379"],
        "etcd1=https://10.0.0.21:2380,etcd2=https://10.0.0.22:2380,etcd3=https://10.0.0.23:2380", "k8s_etcd",
        new EtcdCertPaths("/etc/ssl/etcd/ssl/ca.pem"), version, null,
        new EtcdTool("host", "/usr/local/bin/etcdctl"), new EtcdTool("host", "/usr/local/bin/etcdutl"),
        true, "active", [], ConfigText: Fixtures.KubesprayEtcdEnv, UnitFile: "/etc/systemd/system/etcd.service", EtcdUser: user);

    /// <summary>A running kubeadm master: etcd and the control plane static pods, kubelet active, a neighbour on the same network.</summary>
    public static (RecordingRemoteHost Host, SimulatedMaster Master) KubeadmMaster(bool controlPlane = true)
    {
        var host = new RecordingRemoteHost("cp-1");
        host.FileSystem.AddFile("/etc/kubernetes/manifests/etcd.yaml", Fixtures.KubeadmEtcdManifest, "600");
        if (controlPlane)
        {
            host.FileSystem.AddFile("/etc/kubernetes/manifests/kube-apiserver.yaml", ApiServerManifest, "600");
            host.FileSystem.AddFile("/etc/kubernetes/manifests/kube-controller-manager.yaml", Component("kube-controller-manager"), "600");
            host.FileSystem.AddFile("/etc/kubernetes/manifests/kube-scheduler.yaml", Component("kube-scheduler"), "600");
        }
        host.FileSystem.AddDirectory("/var/lib/etcd/member/snap", "700");
        host.FileSystem.AddFile("/var/lib/etcd/member/snap/db", "old data", "600");
        var master = new SimulatedMaster(host);
        master.PodListens["etcd.yaml"] = ["10.0.0.11:2379", "127.0.0.1:2379", "10.0.0.11:2380", "127.0.0.1:2381"];
        master.PodListens["kube-apiserver.yaml"] = ["*:6443"];
        // A neighbour sharing the network namespace (as lab masters do) must not hold any wait.
        master.OtherListeners.AddRange(["10.0.0.12:2379", "10.0.0.12:2380"]);
        master.Boot();
        return (host, master);
    }

    /// <summary>A running Kubespray master: etcd.service active, kubelet active, env file, unit.</summary>
    public static (RecordingRemoteHost Host, SimulatedMaster Master) KubesprayMaster()
    {
        var host = new RecordingRemoteHost("node1");
        host.FileSystem.AddFile("/etc/etcd.env", Fixtures.KubesprayEtcdEnv, "640", "root:etcd");
        host.FileSystem.AddFile("/etc/systemd/system/etcd.service", "[Service]\nUser=etcd\nEnvironmentFile=/etc/etcd.env\n");
        host.FileSystem.AddDirectory("/var/lib/etcd/member/snap", "700", "etcd:etcd");
        host.FileSystem.AddFile("/var/lib/etcd/member/snap/db", "old data", "600", "etcd:etcd");
        host.FileSystem.AddDirectory("/var/backups/etcd-dr");
        host.FileSystem.AddFile("/var/backups/etcd-dr/snap.db", "snapshot", "600");
        var master = new SimulatedMaster(host);
        master.Units["etcd"] = true;
        master.UnitListens["etcd"] = ["10.0.0.21:2379", "127.0.0.1:2379", "10.0.0.21:2380"];
        master.OtherListeners.AddRange(["10.0.0.22:2379", "10.0.0.22:2380"]);
        master.Boot();
        return (host, master);
    }

    public static SnapshotRestoreRequest Request(string member = "cp-1", string peer = "https://10.0.0.11:2380", string cluster = "cp-1=https://10.0.0.11:2380", long bump = 0) =>
        new("/var/backups/etcd-dr/snap.db", "/var/lib/etcd", member, cluster, peer, "etcd-dr-20261206T030000Z", bump);
}
