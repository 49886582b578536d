namespace EtcdDr.Topology;

/// <summary>Where to reach the local member and with which client certificate.</summary>
public sealed record LocalMember(EtcdFlavor Flavor, string Name, Uri Endpoint, string CaFile, string CertFile, string KeyFile);

/// <summary>
/// Finds the local member's endpoint and a client certificate in the flavor's usual place, for
/// on-master mode (a timer on each master). <paramref name="root"/> is "/" on a real master and a
/// copy of one in tests; the paths inside the flavor's files are absolute and are read under it.
/// </summary>
public static class LocalMemberCredentials
{
    public const string KubeadmManifest = "etc/kubernetes/manifests/etcd.yaml";
    public const string KubesprayEnv = "etc/etcd.env";

    public static LocalMember Find(string root)
    {
        var manifest = Path.Combine(root, KubeadmManifest);
        if (File.Exists(manifest))
            return FromKubeadm(root, StaticPodManifest.Parse(File.ReadAllText(manifest), manifest));
        var env = Path.Combine(root, KubesprayEnv);
        if (File.Exists(env))
            return FromKubespray(root, EtcdEnvFile.Parse(File.ReadAllText(env)), env);
        throw new DrException($"neither {Path.Combine(root, KubeadmManifest)} (kubeadm) nor {Path.Combine(root, KubesprayEnv)} (Kubespray) exists: " +
            "is this a control-plane node? Give the endpoints and certificates in the config instead", FailureKind.Usage);
    }

    private static LocalMember FromKubeadm(string root, StaticPodManifest pod)
    {
        var name = pod.Flag("name") ?? Environment.MachineName;
        var ca = pod.Flag("trusted-ca-file") ?? "/etc/kubernetes/pki/etcd/ca.crt";
        // healthcheck-client is what kubeadm made for exactly this: a client of the local member.
        var (cert, key) = FirstPair(root,
            ("/etc/kubernetes/pki/etcd/healthcheck-client.crt", "/etc/kubernetes/pki/etcd/healthcheck-client.key"),
            ("/etc/kubernetes/pki/apiserver-etcd-client.crt", "/etc/kubernetes/pki/apiserver-etcd-client.key"));
        return new LocalMember(EtcdFlavor.Kubeadm, name, FirstUrl(pod.Flag("advertise-client-urls"), "etcd.yaml --advertise-client-urls"), Under(root, ca), cert, key);
    }

    private static LocalMember FromKubespray(string root, IReadOnlyDictionary<string, string> env, string source)
    {
        var name = env.GetValueOrDefault("ETCD_NAME") ?? Environment.MachineName;
        var ca = env.GetValueOrDefault("ETCD_TRUSTED_CA_FILE") ?? env.GetValueOrDefault("ETCD_PEER_TRUSTED_CA_FILE") ?? "/etc/ssl/etcd/ssl/ca.pem";
        // Kubespray names certificates after the inventory host, which can differ from ETCD_NAME:
        // read it back from the member certificate's file name (member-<host>.pem).
        var memberCert = env.GetValueOrDefault("ETCD_CERT_FILE") ?? env.GetValueOrDefault("ETCD_PEER_CERT_FILE")
            ?? throw new DrException($"{source}: no ETCD_CERT_FILE, so the certificate directory is unknown", FailureKind.Usage);
        var dir = Path.GetDirectoryName(memberCert)!;
        var file = Path.GetFileNameWithoutExtension(memberCert);
        var host = file.StartsWith("member-", StringComparison.Ordinal) ? file["member-".Length..] : Environment.MachineName;
        var (cert, key) = FirstPair(root,
            ($"{dir}/admin-{host}.pem", $"{dir}/admin-{host}-key.pem"),
            ($"{dir}/member-{host}.pem", $"{dir}/member-{host}-key.pem"));
        return new LocalMember(EtcdFlavor.Kubespray, name, FirstUrl(env.GetValueOrDefault("ETCD_ADVERTISE_CLIENT_URLS"), "ETCD_ADVERTISE_CLIENT_URLS"), Under(root, ca), cert, key);
    }

    private static Uri FirstUrl(string? urls, string what)
    {
        var first = urls?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        return first is not null && Uri.TryCreate(first, UriKind.Absolute, out var uri) ? uri
            : throw new DrException($"{what} is missing or not a URL ('{urls}')", FailureKind.Usage);
    }

    private static (string Cert, string Key) FirstPair(string root, params (string Cert, string Key)[] candidates)
    {
        foreach (var (cert, key) in candidates)
        {
            if (File.Exists(Under(root, cert)) && File.Exists(Under(root, key)))
                return (Under(root, cert), Under(root, key));
        }
        throw new DrException("no client certificate found; looked for " + string.Join(", ", candidates.Select(c => Under(root, c.Cert))), FailureKind.Usage);
    }

    public static string Under(string root, string absolute) => Path.Combine(root, absolute.TrimStart('/'));
}
