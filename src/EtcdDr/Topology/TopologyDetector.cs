using System.Text;
using System.Text.RegularExpressions;
using EtcdDr.Remote;

namespace EtcdDr.Topology;

/// <summary>
/// Learns how etcd runs on a master by reading its files over <see cref="IRemoteHost"/>: the
/// kubeadm static pod manifest's flags, or Kubespray's /etc/etcd.env and unit. Nothing is guessed
/// from names; what cannot be read is said in Notes.
/// </summary>
public static partial class TopologyDetector
{
    public const string KubeadmManifest = "/etc/kubernetes/manifests/etcd.yaml";
    public const string KubesprayEnv = "/etc/etcd.env";
    public const string KubeadmManifestsDir = "/etc/kubernetes/manifests";
    public static readonly string[] UnitFiles = ["/etc/systemd/system/etcd.service", "/lib/systemd/system/etcd.service", "/usr/lib/systemd/system/etcd.service"];
    private static readonly string[] ToolDirs = ["/usr/local/bin", "/usr/bin", "/opt/bin", "/usr/sbin"];

    public static async Task<MasterTopology> DetectAsync(IRemoteHost host, CancellationToken ct)
    {
        var present = await PresentAsync(host, [KubeadmManifest, KubeadmManifestsDir, KubesprayEnv, .. UnitFiles,
            .. ToolDirs.SelectMany(d => new[] { $"{d}/etcdctl", $"{d}/etcdutl", $"{d}/etcd", $"{d}/crictl", $"{d}/docker" })], ct).ConfigureAwait(false);

        MasterTopology topology;
        if (present.Contains(KubeadmManifest))
            topology = FromKubeadm(host.Name, StaticPodManifest.Parse(await ReadTextAsync(host, KubeadmManifest, ct).ConfigureAwait(false), $"{host.Name}:{KubeadmManifest}"));
        else if (present.Contains(KubesprayEnv))
        {
            var unitPath = UnitFiles.FirstOrDefault(present.Contains);
            var unit = unitPath is null ? null : await ReadTextAsync(host, unitPath, ct).ConfigureAwait(false);
            topology = FromKubespray(host.Name, EtcdEnvFile.Parse(await ReadTextAsync(host, KubesprayEnv, ct).ConfigureAwait(false)), unitPath, unit);
        }
        else if (present.Contains(KubeadmManifestsDir))
            // A kubeadm master whose etcd manifest is not where kubelet looks: etcd is stopped
            // (the manifest moved out), not absent. Say so rather than guessing from other files.
            throw new DrException($"{host.Name}: kubeadm master without {KubeadmManifest}: etcd is stopped (its manifest moved out of {KubeadmManifestsDir}?)", FailureKind.Unreachable);
        else if (UnitFiles.FirstOrDefault(present.Contains) is { } plainUnit)
            topology = await FromPlainUnitAsync(host, plainUnit, await ReadTextAsync(host, plainUnit, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
        else
            throw new DrException($"{host.Name}: no etcd found: neither {KubeadmManifest}, {KubesprayEnv} nor an etcd.service unit exists", FailureKind.Usage);

        var etcdctl = HostTool("etcdctl", present);
        var etcdutl = HostTool("etcdutl", present);
        EtcdTool? fromImage = null;
        IReadOnlyList<string> engineNotes = [];
        if ((etcdctl is null || etcdutl is null) && topology.Image is { } image)
        {
            var clis = new[] { "crictl", "docker" }
                .Select(kind => (kind, path: ToolDirs.Select(d => $"{d}/{kind}").FirstOrDefault(present.Contains)))
                .Where(c => c.path is not null).ToDictionary(c => c.kind, c => c.path!, StringComparer.Ordinal);
            (fromImage, engineNotes) = await ContainerEngineProbe.FindAsync(host, topology.Flavor, image, clis, ct).ConfigureAwait(false);
        }
        topology = topology with
        {
            Etcdctl = etcdctl ?? fromImage ?? EtcdTool.None,
            Etcdutl = etcdutl ?? fromImage ?? EtcdTool.None,
            EtcdVersion = topology.EtcdVersion ?? await HostEtcdVersionAsync(host, present, ct).ConfigureAwait(false),
            Notes = [.. topology.Notes, .. engineNotes],
        };
        var (hasKubelet, state) = await KubeletAsync(host, ct).ConfigureAwait(false);
        return topology with { HasKubelet = hasKubelet, KubeletState = state };
    }

    private static MasterTopology FromKubeadm(string host, StaticPodManifest pod)
    {
        var notes = new List<string>();
        var name = pod.Flag("name") ?? Missing(notes, "--name", host);
        var certs = new EtcdCertPaths(
            pod.Flag("trusted-ca-file"), pod.Flag("cert-file"), pod.Flag("key-file"),
            pod.Flag("peer-trusted-ca-file"), pod.Flag("peer-cert-file"), pod.Flag("peer-key-file"),
            // kubeadm made healthcheck-client for clients of etcd; it sits beside the CA.
            Sibling(pod.Flag("trusted-ca-file"), "healthcheck-client.crt"), Sibling(pod.Flag("trusted-ca-file"), "healthcheck-client.key"));
        return new MasterTopology(host, EtcdFlavor.Kubeadm, KubeadmManifest, name, pod.Flag("data-dir") ?? "/var/lib/etcd",
            Urls(pod.Flag("initial-advertise-peer-urls")), Urls(pod.Flag("advertise-client-urls")),
            pod.Flag("initial-cluster"), pod.Flag("initial-cluster-token"), certs, VersionFromImage(pod.Image), pod.Image,
            EtcdTool.None, EtcdTool.None, false, null, notes);
    }

    private static MasterTopology FromKubespray(string host, IReadOnlyDictionary<string, string> env, string? unitPath, string? unit)
    {
        var notes = new List<string>();
        var docker = unit is not null && DockerRun().IsMatch(unit);
        var image = docker ? DockerImage().Match(unit!) is { Success: true } m ? m.Groups[1].Value : null : null;
        var memberCert = env.GetValueOrDefault("ETCD_CERT_FILE") ?? env.GetValueOrDefault("ETCD_PEER_CERT_FILE");
        string? clientCert = null, clientKey = null;
        if (memberCert is not null)
        {
            // Kubespray names certificates after the inventory host: member-<host>.pem -> admin-<host>.pem.
            var dir = Path.GetDirectoryName(memberCert)!;
            var file = Path.GetFileNameWithoutExtension(memberCert);
            var inventoryHost = file.StartsWith("member-", StringComparison.Ordinal) ? file["member-".Length..] : host;
            clientCert = $"{dir}/admin-{inventoryHost}.pem";
            clientKey = $"{dir}/admin-{inventoryHost}-key.pem";
        }
        if (unit is null)
            notes.Add("no etcd.service unit found beside /etc/etcd.env");
        var certs = new EtcdCertPaths(
            env.GetValueOrDefault("ETCD_TRUSTED_CA_FILE"), env.GetValueOrDefault("ETCD_CERT_FILE"), env.GetValueOrDefault("ETCD_KEY_FILE"),
            env.GetValueOrDefault("ETCD_PEER_TRUSTED_CA_FILE"), env.GetValueOrDefault("ETCD_PEER_CERT_FILE"), env.GetValueOrDefault("ETCD_PEER_KEY_FILE"),
            clientCert, clientKey);
        return new MasterTopology(host, docker ? EtcdFlavor.KubesprayDocker : EtcdFlavor.Kubespray, KubesprayEnv,
            env.GetValueOrDefault("ETCD_NAME") ?? Missing(notes, "ETCD_NAME", host), env.GetValueOrDefault("ETCD_DATA_DIR") ?? "/var/lib/etcd",
            Urls(env.GetValueOrDefault("ETCD_INITIAL_ADVERTISE_PEER_URLS")), Urls(env.GetValueOrDefault("ETCD_ADVERTISE_CLIENT_URLS")),
            env.GetValueOrDefault("ETCD_INITIAL_CLUSTER"), env.GetValueOrDefault("ETCD_INITIAL_CLUSTER_TOKEN"), certs,
            VersionFromImage(image), image, EtcdTool.None, EtcdTool.None, false, null, notes);
    }

    /// <summary>A distribution's etcd.service: flags on ExecStart, or ETCD_* in its EnvironmentFile.</summary>
    private static async Task<MasterTopology> FromPlainUnitAsync(IRemoteHost host, string unitPath, string unit, CancellationToken ct)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match m in EnvironmentFileLine().Matches(unit))
        {
            var path = m.Groups[1].Value;
            if (await host.ExistsAsync(path, true, ct).ConfigureAwait(false))
            {
                foreach (var (k, v) in EtcdEnvFile.Parse(await ReadTextAsync(host, path, ct).ConfigureAwait(false)))
                    env[k] = v;
            }
        }
        foreach (Match m in FlagInExecStart().Matches(unit))
            env["ETCD_" + m.Groups[1].Value.Replace('-', '_').ToUpperInvariant()] = m.Groups[2].Value;
        var topology = FromKubespray(host.Name, env, unitPath, unit) with { Flavor = EtcdFlavor.Systemd, ConfigFile = unitPath };
        // A distribution's packaged unit may sit unused on a host: without a client URL it runs no member here.
        if (topology.ClientUrls.Count == 0)
            throw new DrException($"{host.Name}: {unitPath} exists but names no client URL (ETCD_ADVERTISE_CLIENT_URLS or --advertise-client-urls); is etcd configured on this host?", FailureKind.Usage);
        return topology;
    }

    private static EtcdTool? HostTool(string name, HashSet<string> present) =>
        ToolDirs.Select(d => $"{d}/{name}").FirstOrDefault(present.Contains) is { } path ? new EtcdTool("host", path) : null;

    private static async Task<string?> HostEtcdVersionAsync(IRemoteHost host, HashSet<string> present, CancellationToken ct)
    {
        if (ToolDirs.Select(d => $"{d}/etcd").FirstOrDefault(present.Contains) is not { } etcd)
            return null;
        var result = await host.RunAsync([etcd, "--version"], null, ct).ConfigureAwait(false);
        return EtcdVersionLine().Match(result.Stdout) is { Success: true } m ? m.Groups[1].Value : null;
    }

    private static async Task<(bool, string?)> KubeletAsync(IRemoteHost host, CancellationToken ct)
    {
        var result = await host.RunAsync(["systemctl", "is-active", "kubelet"], null, ct).ConfigureAwait(false);
        var state = result.Stdout.Trim();
        // is-active prints "inactive"/"unknown" for units that exist but are stopped or absent.
        var unitExists = await host.RunAsync(["systemctl", "cat", "kubelet"], null, ct).ConfigureAwait(false);
        return (unitExists.ExitCode == 0 || state == "active", state.Length == 0 ? null : state);
    }

    /// <summary>Which of the paths exist, in one round trip.</summary>
    private static async Task<HashSet<string>> PresentAsync(IRemoteHost host, IReadOnlyList<string> paths, CancellationToken ct)
    {
        // `ls -1d` prints the ones that exist and complains about the rest; the exit code is ignored.
        var result = await host.RunAsync(["ls", "-1d", "--", .. paths], RemoteRunOptions.Root, ct).ConfigureAwait(false);
        return result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
    }

    private static async Task<string> ReadTextAsync(IRemoteHost host, string path, CancellationToken ct) =>
        Encoding.UTF8.GetString(await host.ReadFileAsync(path, privileged: true, ct).ConfigureAwait(false));

    private static IReadOnlyList<string> Urls(string? csv) =>
        csv?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];

    private static string? Sibling(string? file, string name) => file is null ? null : $"{Path.GetDirectoryName(file)}/{name}";

    /// <summary>
    /// "registry.k8s.io/etcd:3.5.15-0" gives "3.5.15". The tag is read from the last path segment
    /// only, so a registry port ("registry.local:5000/etcd:3.5.9-0", usual when air-gapped) or a
    /// digest ("...@sha256:...") is never taken for the version.
    /// </summary>
    public static string? VersionFromImage(string? image) =>
        ImageTagOf(image) is { } tag && ImageTag().Match(tag) is { Success: true } m ? m.Groups[1].Value : null;

    /// <summary>The tag of an image reference, or null when it has none (a bare name or a digest only).</summary>
    public static string? ImageTagOf(string? image)
    {
        if (string.IsNullOrEmpty(image))
            return null;
        var at = image.IndexOf('@', StringComparison.Ordinal);
        var name = at >= 0 ? image[..at] : image;
        var lastSegment = name[(name.LastIndexOf('/') + 1)..];
        var colon = lastSegment.LastIndexOf(':');
        return colon >= 0 && colon < lastSegment.Length - 1 ? lastSegment[(colon + 1)..] : null;
    }

    private static string Missing(List<string> notes, string what, string host)
    {
        notes.Add($"{what} not set; using the host name");
        return host;
    }

    [GeneratedRegex(@"^v?(\d+\.\d+\.\d+)")]
    private static partial Regex ImageTag();

    [GeneratedRegex(@"etcd Version:\s*(\S+)")]
    private static partial Regex EtcdVersionLine();

    [GeneratedRegex(@"\b(docker|nerdctl)\s+run\b")]
    private static partial Regex DockerRun();

    // An optional registry with a port (registry.local:5000/), path segments, then an etcd image
    // with a tag and an optional digest.
    [GeneratedRegex(@"\s((?:[\w.-]+(?::\d+)?/)?(?:[\w.-]+/)*[\w.-]*etcd[\w.-]*:[\w.-]+(?:@sha256:[0-9a-f]{64})?)")]
    private static partial Regex DockerImage();

    [GeneratedRegex(@"^EnvironmentFile=-?(\S+)", RegexOptions.Multiline)]
    private static partial Regex EnvironmentFileLine();

    [GeneratedRegex(@"--([a-z-]+)[= ]([^\s\\]+)")]
    private static partial Regex FlagInExecStart();
}
