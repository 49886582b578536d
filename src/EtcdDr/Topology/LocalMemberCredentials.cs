namespace EtcdDr.Topology;

/// <summary>Where to reach the local member and with which client certificate.</summary>
public sealed record LocalMember(EtcdFlavor Flavor, string Name, Uri Endpoint, string CaFile, string CertFile, string KeyFile);

/// <summary>
/// Finds the local member's endpoint and a client certificate in the flavor's usual place, for
/// on-master mode (a timer on each master). <paramref name="root"/> is "/" on a real master and a
/// copy of one in tests; the paths inside the flavor's files are absolute and are read under it.
/// The same files are read, the same way, as remote discovery reads them: the manifest's volumes
/// map pod paths to host paths; the etcd unit's drop-ins and EnvironmentFile= decide which env
/// file counts, and its ETCDCTL_CERT/ETCDCTL_KEY come before any guess from file names.
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
        if (ServiceEnvironment(root) is { } fromUnit)
            return FromKubespray(root, fromUnit.Env, fromUnit.Source);
        var env = Path.Combine(root, KubesprayEnv);
        if (File.Exists(env))
            return FromKubespray(root, EtcdEnvFile.Parse(File.ReadAllText(env)), env);
        throw new DrException($"neither {Path.Combine(root, KubeadmManifest)} (kubeadm) nor {Path.Combine(root, KubesprayEnv)} (Kubespray) exists: " +
            "is this a control-plane node? Give the endpoints and certificates in the config instead", FailureKind.Usage);
    }

    private static LocalMember FromKubeadm(string root, StaticPodManifest pod)
    {
        var name = pod.Flag("name") ?? Environment.MachineName;
        // The flags name paths inside the pod; the files are where the volumes' hostPaths say.
        var map = new PathMap(pod.Mounts ?? [], containerized: true);
        var ca = map.Map(pod.Flag("trusted-ca-file") ?? "/etc/kubernetes/pki/etcd/ca.crt").HostPath;
        var pkiDir = Path.GetDirectoryName(ca)!;
        // healthcheck-client is what kubeadm made for exactly this: a client of the local member.
        var (cert, key) = FirstPair(root,
            ($"{pkiDir}/healthcheck-client.crt", $"{pkiDir}/healthcheck-client.key"),
            ("/etc/kubernetes/pki/etcd/healthcheck-client.crt", "/etc/kubernetes/pki/etcd/healthcheck-client.key"),
            ("/etc/kubernetes/pki/apiserver-etcd-client.crt", "/etc/kubernetes/pki/apiserver-etcd-client.key"));
        return new LocalMember(EtcdFlavor.Kubeadm, name, FirstUrl(pod.Flag("advertise-client-urls"), "etcd.yaml --advertise-client-urls"), Under(root, ca), cert, key);
    }

    /// <summary>
    /// The etcd unit's environment as systemd builds it (unit, drop-ins, Environment=, then each
    /// EnvironmentFile=), with ExecStart's flags as ETCD_* on top; null without a unit that sets any.
    /// </summary>
    private static (IReadOnlyDictionary<string, string> Env, string Source)? ServiceEnvironment(string root)
    {
        var unitPath = SystemdUnit.SearchDirectories.Select(d => $"{d}/{TopologyDetector.UnitName}").FirstOrDefault(p => File.Exists(Under(root, p)));
        if (unitPath is null)
            return null;
        var dropInDirs = SystemdUnit.DropInDirectories(TopologyDetector.UnitName);
        var dropIns = SystemdUnit.OrderDropIns(
                dropInDirs.Where(d => Directory.Exists(Under(root, d))).SelectMany(d => Directory.EnumerateFiles(Under(root, d), "*.conf").Select(f => $"{d}/{Path.GetFileName(f)}")),
                dropInDirs)
            .Select(f => (f, File.ReadAllText(Under(root, f)))).ToList();
        var unit = SystemdUnit.Parse(unitPath, File.ReadAllText(Under(root, unitPath)), dropIns);
        var env = new Dictionary<string, string>(unit.Environment, StringComparer.Ordinal);
        var source = unitPath;
        foreach (var file in unit.EnvironmentFiles.Where(f => File.Exists(Under(root, f.Path))))
        {
            foreach (var (k, v) in EtcdEnvFile.Parse(File.ReadAllText(Under(root, file.Path))))
                env[k] = v;
            source = Under(root, file.Path);
        }
        if (EtcdCommandLine.EtcdArguments(SystemdUnit.Expand(unit.ExecStart, env)) is { } arguments)
        {
            foreach (var (flag, value) in EtcdCommandLine.Flags(arguments))
                env["ETCD_" + flag.ToUpperInvariant().Replace('-', '_')] = value;
        }
        return env.Keys.Any(k => k.StartsWith("ETCD_", StringComparison.Ordinal)) ? (env, source) : null;
    }

    private static LocalMember FromKubespray(string root, IReadOnlyDictionary<string, string> env, string source)
    {
        var name = env.GetValueOrDefault("ETCD_NAME") ?? Environment.MachineName;
        var ca = env.GetValueOrDefault("ETCD_TRUSTED_CA_FILE") ?? env.GetValueOrDefault("ETCDCTL_CACERT") ?? env.GetValueOrDefault("ETCDCTL_CA_FILE")
            ?? env.GetValueOrDefault("ETCD_PEER_TRUSTED_CA_FILE") ?? "/etc/ssl/etcd/ssl/ca.pem";
        var candidates = new List<(string Cert, string Key)>();
        // etcdctl's own variables in the env file name the client pair outright.
        if ((env.GetValueOrDefault("ETCDCTL_CERT") ?? env.GetValueOrDefault("ETCDCTL_CERT_FILE")) is { Length: > 0 } ctlCert
            && (env.GetValueOrDefault("ETCDCTL_KEY") ?? env.GetValueOrDefault("ETCDCTL_KEY_FILE")) is { Length: > 0 } ctlKey)
            candidates.Add((ctlCert, ctlKey));
        // Kubespray names certificates after the inventory host, which can differ from ETCD_NAME:
        // read it back from the member certificate's file name (member-<host>.pem).
        var memberCert = env.GetValueOrDefault("ETCD_CERT_FILE") ?? env.GetValueOrDefault("ETCD_PEER_CERT_FILE");
        if (memberCert is null && candidates.Count == 0)
            throw new DrException($"{source}: no ETCD_CERT_FILE nor ETCDCTL_CERT, so the certificate directory is unknown", FailureKind.Usage);
        if (memberCert is not null)
        {
            var dir = Path.GetDirectoryName(memberCert)!;
            var file = Path.GetFileNameWithoutExtension(memberCert);
            var host = file.StartsWith("member-", StringComparison.Ordinal) ? file["member-".Length..] : Environment.MachineName;
            candidates.Add(($"{dir}/admin-{host}.pem", $"{dir}/admin-{host}-key.pem"));
            candidates.Add(($"{dir}/member-{host}.pem", $"{dir}/member-{host}-key.pem"));
        }
        var (cert, key) = FirstPair(root, [.. candidates]);
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
        throw new DrException("no client certificate found; looked for " + string.Join(", ", candidates.Select(c => Under(root, c.Cert)).Distinct()), FailureKind.Usage);
    }

    public static string Under(string root, string absolute) => Path.Combine(root, absolute.TrimStart('/'));
}
