using System.Security.Cryptography;

namespace EtcdDr.IntegrationTests.Pki;

/// <summary>
/// Writes realistic control-plane PKI trees under a root directory: kubeadm's layout and
/// Kubespray's, with the file modes the installers use.
/// </summary>
public static class PkiTreeFactory
{
    public const UnixFileMode Key = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode Public = Key | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    public const UnixFileMode GroupReadable = Key | UnixFileMode.GroupRead;

    public static void Write(string root, string relative, string content, UnixFileMode mode)
    {
        var path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, mode);
        // A fixed, whole-second time in the past, so restored times can be compared exactly.
        File.SetLastWriteTimeUtc(path, new DateTime(2024, 5, 17, 8, 30, 0, DateTimeKind.Utc));
    }

    private static void Pair(string root, string baseName, IssuedCert cert, string certExt = ".crt", string keySuffix = ".key")
    {
        Write(root, baseName + certExt, cert.CertPem, Public);
        Write(root, baseName + keySuffix, cert.KeyPem, Key);
    }

    /// <summary>/etc/kubernetes as `kubeadm init` leaves it (RSA, plus ECDSA for etcd to cover both).</summary>
    public static void Kubeadm(string root)
    {
        const string pki = "etc/kubernetes/pki/";
        var ca = TestPki.Ca("kubernetes");
        Pair(root, pki + "ca", ca);
        Pair(root, pki + "apiserver", TestPki.Leaf(ca, "CN=kube-apiserver", server: true, client: false,
            dns: ["kubernetes", "kubernetes.default", "kubernetes.default.svc", "master1"], ips: ["10.96.0.1", "10.0.0.10"]));
        Pair(root, pki + "apiserver-kubelet-client", TestPki.Leaf(ca, "CN=kube-apiserver-kubelet-client, O=kubeadm:cluster-admins", server: false, client: true));

        var frontProxyCa = TestPki.Ca("front-proxy-ca");
        Pair(root, pki + "front-proxy-ca", frontProxyCa);
        Pair(root, pki + "front-proxy-client", TestPki.Leaf(frontProxyCa, "CN=front-proxy-client", server: false, client: true));

        var etcdCa = TestPki.Ca("etcd-ca", ecdsa: true);
        Pair(root, pki + "etcd/ca", etcdCa);
        Pair(root, pki + "etcd/server", TestPki.Leaf(etcdCa, "CN=master1", server: true, client: true, dns: ["master1", "localhost"], ips: ["10.0.0.10", "127.0.0.1"], ecdsa: true));
        Pair(root, pki + "etcd/peer", TestPki.Leaf(etcdCa, "CN=master1", server: true, client: true, dns: ["master1", "localhost"], ips: ["10.0.0.10", "127.0.0.1"], ecdsa: true));
        Pair(root, pki + "etcd/healthcheck-client", TestPki.Leaf(etcdCa, "CN=kube-etcd-healthcheck-client", server: false, client: true, ecdsa: true));
        Pair(root, pki + "apiserver-etcd-client", TestPki.Leaf(etcdCa, "CN=kube-apiserver-etcd-client", server: false, client: true, ecdsa: true));

        using var sa = RSA.Create(2048);
        Write(root, pki + "sa.key", sa.ExportRSAPrivateKeyPem() + "\n", Key);
        Write(root, pki + "sa.pub", sa.ExportSubjectPublicKeyInfoPem() + "\n", Public);

        Write(root, "etc/kubernetes/admin.conf", TestPki.Kubeconfig(ca, TestPki.Leaf(ca, "CN=kubernetes-admin, O=kubeadm:cluster-admins", false, true), "kubernetes-admin"), Key);
        Write(root, "etc/kubernetes/super-admin.conf", TestPki.Kubeconfig(ca, TestPki.Leaf(ca, "CN=kubernetes-super-admin, O=system:masters", false, true), "kubernetes-super-admin"), Key);
        Write(root, "etc/kubernetes/controller-manager.conf", TestPki.Kubeconfig(ca, TestPki.Leaf(ca, "CN=system:kube-controller-manager", false, true), "system:kube-controller-manager"), Key);
        Write(root, "etc/kubernetes/scheduler.conf", TestPki.Kubeconfig(ca, TestPki.Leaf(ca, "CN=system:kube-scheduler", false, true), "system:kube-scheduler"), Key);
        Write(root, "etc/kubernetes/kubelet.conf", TestPki.KubeletKubeconfig(ca), Key);
        // Not part of the PKI set: must not be archived.
        Write(root, "etc/kubernetes/manifests/etcd.yaml", "apiVersion: v1\nkind: Pod\n", Public);
    }

    /// <summary>A Kubespray master: etcd certs in /etc/ssl/etcd/ssl, kube certs in /etc/kubernetes/ssl, /etc/etcd.env.</summary>
    public static void Kubespray(string root)
    {
        const string etcd = "etc/ssl/etcd/ssl/";
        var etcdCa = TestPki.Ca("etcd-ca");
        Pair(root, etcd + "ca", etcdCa, ".pem", "-key.pem");
        foreach (var host in new[] { "node1", "node2" })
        {
            Pair(root, etcd + $"admin-{host}", TestPki.Leaf(etcdCa, $"CN=etcd-admin-{host}", true, true, dns: [host, "localhost"], ips: ["127.0.0.1"]), ".pem", "-key.pem");
            Pair(root, etcd + $"member-{host}", TestPki.Leaf(etcdCa, $"CN=etcd-member-{host}", true, true, dns: [host, "localhost"], ips: ["127.0.0.1"]), ".pem", "-key.pem");
            Pair(root, etcd + $"node-{host}", TestPki.Leaf(etcdCa, $"CN=etcd-node-{host}", false, true), ".pem", "-key.pem");
        }

        const string kube = "etc/kubernetes/ssl/";
        var ca = TestPki.Ca("kubernetes");
        Pair(root, kube + "ca", ca);
        Pair(root, kube + "apiserver", TestPki.Leaf(ca, "CN=kube-apiserver", true, false, dns: ["kubernetes", "node1"], ips: ["10.233.0.1"]));
        Pair(root, kube + "apiserver-kubelet-client", TestPki.Leaf(ca, "CN=kube-apiserver-kubelet-client", false, true));
        var frontProxyCa = TestPki.Ca("front-proxy-ca");
        Pair(root, kube + "front-proxy-ca", frontProxyCa);
        Pair(root, kube + "front-proxy-client", TestPki.Leaf(frontProxyCa, "CN=front-proxy-client", false, true));
        using var sa = RSA.Create(2048);
        Write(root, kube + "sa.key", sa.ExportPkcs8PrivateKeyPem() + "\n", Key);
        Write(root, kube + "sa.pub", sa.ExportSubjectPublicKeyInfoPem() + "\n", Public);

        Write(root, "etc/etcd.env", "ETCD_NAME=etcd1\nETCD_DATA_DIR=/var/lib/etcd\nETCD_CERT_FILE=/etc/ssl/etcd/ssl/member-node1.pem\nETCD_KEY_FILE=/etc/ssl/etcd/ssl/member-node1-key.pem\n", GroupReadable);
        Write(root, "etc/kubernetes/admin.conf", TestPki.Kubeconfig(ca, TestPki.Leaf(ca, "CN=kubernetes-admin, O=system:masters", false, true), "kubernetes-admin"), Key);
    }
}
