using System.Net;
using System.Text;

namespace EtcdDr.Lab;

/// <summary>
/// Lays out what `kubeadm init`/`join --control-plane` leaves on a master: /etc/kubernetes/pki (and
/// pki/etcd), the kubeconfigs with embedded credentials, and the etcd static pod manifest.
/// </summary>
public static class KubeadmLayout
{
    public const string ManifestsDirectory = "/etc/kubernetes/manifests";
    public const string Manifest = ManifestsDirectory + "/etcd.yaml";
    private const string EmptyMap = "{}";

    public static void Write(LabSpec spec, LabMaster master, MasterPaths paths, LabPki pki)
    {
        var kubernetes = pki.Kubernetes!;
        var frontProxy = pki.FrontProxy!;
        var pkiDir = paths.Inside("/etc/kubernetes/pki");
        var etcdDir = Path.Combine(pkiDir, "etcd");
        const PrivateKeyPemFormat legacy = PrivateKeyPemFormat.Legacy;

        kubernetes.Certificate.WriteFilesInto(pkiDir, "ca", legacy);
        frontProxy.Certificate.WriteFilesInto(pkiDir, "front-proxy-ca", legacy);
        pki.Etcd.Certificate.WriteFilesInto(etcdDir, "ca", legacy);

        kubernetes.Issue(new LabCertificateRequest("kube-apiserver", LabCertificatePurpose.Server)
        {
            IpAddresses = [IPAddress.Parse("10.96.0.1"), .. LabPki.NetAddresses(master.Address)],
            DnsNames = ["kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", master.Name],
        }).WriteFilesInto(pkiDir, "apiserver", legacy);
        kubernetes.IssueClient("kube-apiserver-kubelet-client", "kubeadm:cluster-admins").WriteFilesInto(pkiDir, "apiserver-kubelet-client", legacy);
        pki.Etcd.IssueClient("kube-apiserver-etcd-client").WriteFilesInto(pkiDir, "apiserver-etcd-client", legacy);
        frontProxy.IssueClient("front-proxy-client").WriteFilesInto(pkiDir, "front-proxy-client", legacy);
        PemFiles.WriteSecret(Path.Combine(pkiDir, "sa.key"), pki.ServiceAccountKeyPem!);
        PemFiles.WritePublic(Path.Combine(pkiDir, "sa.pub"), pki.ServiceAccountPublicPem!);

        pki.IssueEtcdMember(master, LabCertificatePurpose.Server).WriteFilesInto(etcdDir, "server", legacy);
        pki.IssueEtcdMember(master, LabCertificatePurpose.Peer).WriteFilesInto(etcdDir, "peer", legacy);
        pki.Etcd.IssueClient("kube-etcd-healthcheck-client").WriteFilesInto(etcdDir, "healthcheck-client", legacy);

        var server = $"https://{master.Address}:6443";
        var kubeconfigs = new (string File, string User, string? Group)[]
        {
            ("admin.conf", "kubernetes-admin", "kubeadm:cluster-admins"),
            ("super-admin.conf", "kubernetes-super-admin", "system:masters"),
            ("controller-manager.conf", "system:kube-controller-manager", null),
            ("scheduler.conf", "system:kube-scheduler", null),
            ("kubelet.conf", $"system:node:{master.Name}", "system:nodes"),
        };
        foreach (var (file, user, group) in kubeconfigs)
        {
            var credential = kubernetes.IssueClient(user, group);
            LabFiles.Write(paths.Inside("/etc/kubernetes/" + file), Kubeconfig(server, kubernetes.CertificatePem, user, credential), LabFiles.Private);
        }

        WriteManifests(spec, master, paths, parkEtcd: false);
    }

    /// <summary>
    /// The static pod manifests: etcd (in the manifests folder, or with <paramref name="parkEtcd"/>
    /// parked at /etc/kubernetes/etcd.yaml so the kubelet does not start it: a replacement master
    /// waiting for its restore) and the stand-in control plane.
    /// </summary>
    public static void WriteManifests(LabSpec spec, LabMaster master, MasterPaths paths, bool parkEtcd)
    {
        LabFiles.Write(paths.Inside(parkEtcd ? EtcdControl.ParkedManifest : Manifest), EtcdManifest(spec, master), LabFiles.Private);
        foreach (var (file, text) in ControlPlaneManifests.All(master))
            LabFiles.Write(paths.Inside(ManifestsDirectory + "/" + file), text, LabFiles.Private);
    }

    private static string Kubeconfig(string server, string caPem, string user, LabCertificate credential)
    {
        static string B64(string pem) => Convert.ToBase64String(Encoding.ASCII.GetBytes(pem));
        return $"""
            apiVersion: v1
            clusters:
            - cluster:
                certificate-authority-data: {B64(caPem)}
                server: {server}
              name: kubernetes
            contexts:
            - context:
                cluster: kubernetes
                user: {user}
              name: {user}@kubernetes
            current-context: {user}@kubernetes
            kind: Config
            preferences: {EmptyMap}
            users:
            - name: {user}
              user:
                client-certificate-data: {B64(credential.CertificatePem)}
                client-key-data: {B64(credential.LegacyPrivateKeyPem)}

            """;
    }

    /// <summary>
    /// The manifest as kubeadm (1.29+) writes it, flags sorted as kubeadm sorts them. Two deliberate
    /// differences, because all lab masters share the host's network: --listen-client-urls has no
    /// https://127.0.0.1:2379 and --listen-metrics-urls uses the master's address instead of
    /// 127.0.0.1, else the second master could not bind. The image is tagged with the release the
    /// lab kubelet really runs in its place (the host's /usr/bin/etcd, 3.4.23 on Debian 12), so
    /// discovery's version is true; that etcd accepts every flag here.
    /// </summary>
    public static string EtcdManifest(LabSpec spec, LabMaster master) => $"""
        apiVersion: v1
        kind: Pod
        metadata:
          annotations:
            kubeadm.kubernetes.io/etcd.advertise-client-urls: {master.ClientUrl}
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
            - --advertise-client-urls={master.ClientUrl}
            - --cert-file=/etc/kubernetes/pki/etcd/server.crt
            - --client-cert-auth=true
            - --data-dir=/var/lib/etcd
            - --experimental-initial-corrupt-check=true
            - --experimental-watch-progress-notify-interval=5s
            - --initial-advertise-peer-urls={master.PeerUrl}
            - --initial-cluster={spec.InitialCluster}
            - --key-file=/etc/kubernetes/pki/etcd/server.key
            - --listen-client-urls={master.ClientUrl}
            - --listen-metrics-urls=http://{master.Address}:{LabSpec.EtcdMetricsPort}
            - --listen-peer-urls={master.PeerUrl}
            - --name={master.Name}
            - --peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt
            - --peer-client-cert-auth=true
            - --peer-key-file=/etc/kubernetes/pki/etcd/peer.key
            - --peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt
            - --snapshot-count=10000
            - --trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt
            image: registry.k8s.io/etcd:{LabTools.EtcdVersion()}-0
            imagePullPolicy: IfNotPresent
            livenessProbe:
              failureThreshold: 8
              httpGet:
                host: {master.Address}
                path: /livez
                port: {LabSpec.EtcdMetricsPort}
                scheme: HTTP
              initialDelaySeconds: 10
              periodSeconds: 10
              timeoutSeconds: 15
            name: etcd
            resources:
              requests:
                cpu: 100m
                memory: 100Mi
            volumeMounts:
            - mountPath: /var/lib/etcd
              name: etcd-data
            - mountPath: /etc/kubernetes/pki/etcd
              name: etcd-certs
          hostNetwork: true
          priority: 2000001000
          priorityClassName: system-node-critical
          securityContext:
            seccompProfile:
              type: RuntimeDefault
          volumes:
          - hostPath:
              path: /etc/kubernetes/pki/etcd
              type: DirectoryOrCreate
            name: etcd-certs
          - hostPath:
              path: /var/lib/etcd
              type: DirectoryOrCreate
            name: etcd-data
        status: {EmptyMap}

        """;
}
