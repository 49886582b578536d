namespace EtcdDr.Tests.Topology;

/// <summary>Files in the formats kubeadm and Kubespray write on a master (our own fixtures).</summary>
public static class Fixtures
{
    /// <summary>A crictl on the fake master whose runtime answers.</summary>
    public static void AnsweringCrictl(EtcdDr.Testing.FakeRemoteHost host, string path = "/usr/bin/crictl")
    {
        host.Files[path] = "";
        host.Answers[$"{path} version"] = new EtcdDr.Remote.ProcessResult(0, "Version:  0.1.0\nRuntimeName:  containerd\nRuntimeVersion:  v1.7.22\nRuntimeApiVersion:  v1\n", "");
    }

    /// <summary>A docker CLI on the fake master whose engine answers.</summary>
    public static void AnsweringDocker(EtcdDr.Testing.FakeRemoteHost host, string path = "/usr/bin/docker")
    {
        host.Files[path] = "";
        host.Answers[$"{path} version --format '{{{{.Server.Version}}}}'"] = new EtcdDr.Remote.ProcessResult(0, "26.1.5\n", "");
    }

    public const string KubeadmEtcdManifest = """
        apiVersion: v1
        kind: Pod
        metadata:
          annotations:
            kubeadm.kubernetes.io/etcd.advertise-client-urls: https://10.0.0.11:2379
          creationTimestamp: null
          labels:
            component: etcd
            tier: control-plane
          name: etcd
          namespace: kube-system
        spec:
          containers:
          - command:
            - etcd
            - --advertise-client-urls=https://10.0.0.11:2379
            - --cert-file=/etc/kubernetes/pki/etcd/server.crt
            - --client-cert-auth=true
            - --data-dir=/var/lib/etcd
            - --experimental-initial-corrupt-check=true
            - --experimental-watch-progress-notify-interval=5s
            - --initial-advertise-peer-urls=https://10.0.0.11:2380
            - --initial-cluster=cp-1=https://10.0.0.11:2380
            - --key-file=/etc/kubernetes/pki/etcd/server.key
            - --listen-client-urls=https://127.0.0.1:2379,https://10.0.0.11:2379
            - --listen-metrics-urls=http://127.0.0.1:2381
            - --listen-peer-urls=https://10.0.0.11:2380
            - --name=cp-1
            - --peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt
            - --peer-client-cert-auth=true
            - --peer-key-file=/etc/kubernetes/pki/etcd/peer.key
            - --peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt
            - --snapshot-count=10000
            - --trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt
            image: registry.k8s.io/etcd:3.5.15-0
            imagePullPolicy: IfNotPresent
            name: etcd
            volumeMounts:
            - mountPath: /var/lib/etcd
              name: etcd-data
            - mountPath: /etc/kubernetes/pki/etcd
              name: etcd-certs
          hostNetwork: true
          priority: 2000001000
          priorityClassName: system-node-critical
          volumes:
          - hostPath:
              path: /etc/kubernetes/pki/etcd
              type: DirectoryOrCreate
            name: etcd-certs
          - hostPath:
              path: /var/lib/etcd
              type: DirectoryOrCreate
            name: etcd-data
        status: {}
        """;

    public const string KubesprayEtcdEnv = """
        # Environment file for etcd v3.5.16
        ETCD_DATA_DIR=/var/lib/etcd
        ETCD_ADVERTISE_CLIENT_URLS=https://10.0.0.21:2379
        ETCD_INITIAL_ADVERTISE_PEER_URLS=https://10.0.0.21:2380
        ETCD_INITIAL_CLUSTER_STATE=existing
        ETCD_METRICS=basic
        ETCD_LISTEN_CLIENT_URLS=https://10.0.0.21:2379,https://127.0.0.1:2379
        ETCD_ELECTION_TIMEOUT=5000
        ETCD_HEARTBEAT_INTERVAL=250
        ETCD_INITIAL_CLUSTER_TOKEN=k8s_etcd
        ETCD_LISTEN_PEER_URLS=https://10.0.0.21:2380
        ETCD_NAME=etcd1
        ETCD_PROXY=off
        ETCD_INITIAL_CLUSTER=etcd1=https://10.0.0.21:2380,etcd2=https://10.0.0.22:2380,etcd3=https://10.0.0.23:2380
        ETCD_AUTO_COMPACTION_RETENTION=8

        # TLS settings
        ETCD_TRUSTED_CA_FILE=/etc/ssl/etcd/ssl/ca.pem
        ETCD_CERT_FILE=/etc/ssl/etcd/ssl/member-node1.pem
        ETCD_KEY_FILE=/etc/ssl/etcd/ssl/member-node1-key.pem
        ETCD_CLIENT_CERT_AUTH=true

        ETCD_PEER_TRUSTED_CA_FILE=/etc/ssl/etcd/ssl/ca.pem
        ETCD_PEER_CERT_FILE=/etc/ssl/etcd/ssl/member-node1.pem
        ETCD_PEER_KEY_FILE=/etc/ssl/etcd/ssl/member-node1-key.pem
        ETCD_PEER_CLIENT_CERT_AUTH=True
        """;

    /// <summary>The certificate files and data dir the kubeadm manifest names, present on the fake master.</summary>
    public static void KubeadmFilesPresent(EtcdDr.Testing.FakeRemoteHost host, string pki = "/etc/kubernetes/pki/etcd", string dataDir = "/var/lib/etcd")
    {
        foreach (var f in new[] { "ca.crt", "server.crt", "server.key", "peer.crt", "peer.key", "healthcheck-client.crt", "healthcheck-client.key" })
            host.Files[$"{pki}/{f}"] = "";
        host.Files[dataDir] = "";
    }

    /// <summary>The certificate files and data dir Kubespray's env file names, present on the fake master.</summary>
    public static void KubesprayFilesPresent(EtcdDr.Testing.FakeRemoteHost host, string inventoryHost = "node1", string ssl = "/etc/ssl/etcd/ssl", string dataDir = "/var/lib/etcd")
    {
        foreach (var f in new[] { "ca.pem", $"member-{inventoryHost}.pem", $"member-{inventoryHost}-key.pem", $"admin-{inventoryHost}.pem", $"admin-{inventoryHost}-key.pem" })
            host.Files[$"{ssl}/{f}"] = "";
        host.Files[dataDir] = "";
    }

    /// <summary>The first bytes of a real binary: discovery may ask it for its version, never a script.</summary>
    public const string ElfBinary = "\u007fELF\u0002\u0001\u0001";

    /// <summary>Lays files out under a fake root, creating folders.</summary>
    public static void Write(string root, string absolutePath, string content = "x")
    {
        var path = Path.Combine(root, absolutePath.TrimStart('/'));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }
}
