using System.Text;
using System.Text.RegularExpressions;
using EtcdDr.Remote;

namespace EtcdDr.Topology;

/// <summary>
/// Learns how etcd runs on a master by READING its files over <see cref="IRemoteHost"/>: the
/// kubeadm static pod manifest (flags and volumes), or the etcd unit with its drop-ins, the
/// environment files it loads, and the program its ExecStart names (a binary, or Kubespray's wrapper
/// script around `docker run`). It never runs a program that could change anything: versions come
/// from image tags, Kubespray's env file header, or `etcdctl version` of a real binary. Every path is
/// reported as a path on the host; what cannot be read, or does not exist, is said in Notes.
/// </summary>
public static partial class TopologyDetector
{
    public const string KubeadmManifest = "/etc/kubernetes/manifests/etcd.yaml";
    public const string KubesprayEnv = "/etc/etcd.env";
    public const string KubeadmManifestsDir = "/etc/kubernetes/manifests";
    public const string UnitName = "etcd.service";
    public static readonly string[] UnitFiles = [.. SystemdUnit.SearchDirectories.Select(d => $"{d}/{UnitName}")];
    public static readonly IReadOnlyList<string> DropInDirs = SystemdUnit.DropInDirectories(UnitName);
    private static readonly string[] ToolDirs = ["/usr/local/bin", "/usr/bin", "/opt/bin", "/usr/sbin"];

    /// <summary>What a read-only version call may take before it is given up.</summary>
    private static readonly TimeSpan VersionTimeout = TimeSpan.FromSeconds(10);

    public static async Task<MasterTopology> DetectAsync(IRemoteHost host, CancellationToken ct)
    {
        var present = await PresentAsync(host, [KubeadmManifest, KubeadmManifestsDir, KubesprayEnv, .. UnitFiles, .. DropInDirs,
            .. ToolDirs.SelectMany(d => new[] { $"{d}/etcdctl", $"{d}/etcdutl", $"{d}/crictl", $"{d}/docker" })], ct).ConfigureAwait(false);
        var (hasKubelet, kubeletState) = await KubeletAsync(host, ct).ConfigureAwait(false);

        var kubeadm = present.Contains(KubeadmManifest) ? await FromKubeadmAsync(host, ct).ConfigureAwait(false) : null;
        SystemdCandidate? systemd;
        try
        {
            systemd = await FromSystemdAsync(host, present, ct).ConfigureAwait(false);
        }
        catch (DrException ex) when (kubeadm is not null)
        {
            systemd = null;
            kubeadm = kubeadm with { Notes = [.. kubeadm.Notes, $"{UnitName} was not used: {ex.Message}"] };
        }
        // A packaged etcd.service that configures no member (Debian's, with /etc/default/etcd all
        // comments) is not a second etcd; Kubespray's env file or unit always is.
        var runsEtcd = systemd is { Configured: true } || systemd is { Topology.Flavor: not EtcdFlavor.Systemd } ? systemd : null;

        MasterTopology topology;
        if (kubeadm is not null && runsEtcd is not null)
            topology = await ChooseAsync(host, kubeadm, runsEtcd, kubeletState, ct).ConfigureAwait(false);
        else if (kubeadm is not null)
            topology = kubeadm;
        else if (runsEtcd is not null)
            topology = runsEtcd.Topology;
        else if (present.Contains(KubeadmManifestsDir))
            // A kubeadm master whose etcd manifest is not where kubelet looks: etcd is stopped
            // (the manifest moved out), not absent. Say so rather than guessing from other files.
            throw new DrException($"{host.Name}: kubeadm master without {KubeadmManifest}: etcd is stopped (its manifest moved out of {KubeadmManifestsDir}?)", FailureKind.Unreachable);
        else if (systemd is not null)
            // A distribution's packaged unit may sit unused on a host: without a client URL it runs no member here.
            throw new DrException($"{host.Name}: {systemd.Topology.UnitFile} exists but names no client URL (ETCD_ADVERTISE_CLIENT_URLS or --advertise-client-urls); is etcd configured on this host?", FailureKind.Usage);
        else
            throw new DrException($"{host.Name}: no etcd found: neither {KubeadmManifest}, {KubesprayEnv} nor an {UnitName} unit exists", FailureKind.Usage);

        topology = await DockerDiscovery.AddEngineFactsAsync(topology, host, ct).ConfigureAwait(false);
        var notes = new List<string>(topology.Notes);
        var etcdctl = HostTool("etcdctl", present);
        var etcdutl = HostTool("etcdutl", present);
        EtcdTool? fromImage = null;
        if ((etcdctl is null || etcdutl is null) && topology.Image is { } image)
        {
            var clis = new[] { "crictl", "docker" }
                .Select(kind => (kind, path: ToolDirs.Select(d => $"{d}/{kind}").FirstOrDefault(present.Contains)))
                .Where(c => c.path is not null).ToDictionary(c => c.kind, c => c.path!, StringComparer.Ordinal);
            IReadOnlyList<string> engineNotes;
            (fromImage, engineNotes) = await ContainerEngineProbe.FindAsync(host, topology.Flavor, image, clis, ct).ConfigureAwait(false);
            notes.AddRange(engineNotes);
        }
        var version = topology.EtcdVersion;
        // Kubespray writes "# Environment file for etcd v3.5.16" at the top of its env file.
        if (version is null && topology.ConfigText is { } text && KubesprayEnvHeader().Match(text) is { Success: true } header)
            version = header.Groups[1].Value;
        // Only a host deployment's etcdctl says something about the etcd that runs; a container's
        // etcd has its own, and the image tag said it above when there is one.
        if (version is null && topology.Flavor is EtcdFlavor.Kubespray or EtcdFlavor.Systemd)
            version = await ToolVersionAsync(host, etcdctl, ct).ConfigureAwait(false) ?? await ToolVersionAsync(host, etcdutl, ct).ConfigureAwait(false);
        if (version is null)
            notes.Add("etcd version unknown: no image tag, no Kubespray env file header, no etcdctl/etcdutl binary to ask (etcd itself is never run to find out)");
        notes.AddRange(await MissingPathNotesAsync(host, topology, ct).ConfigureAwait(false));
        return topology with
        {
            Etcdctl = etcdctl ?? fromImage ?? EtcdTool.None,
            Etcdutl = etcdutl ?? fromImage ?? EtcdTool.None,
            EtcdVersion = version,
            HasKubelet = hasKubelet,
            KubeletState = kubeletState,
            Notes = notes,
        };
    }

    /// <summary>A master with both a kubeadm manifest and an etcd unit or env file: the one that runs etcd wins.</summary>
    private static async Task<MasterTopology> ChooseAsync(IRemoteHost host, MasterTopology kubeadm, SystemdCandidate systemd, string? kubeletState,
        CancellationToken ct)
    {
        var etcdState = (await host.RunAsync(["systemctl", "is-active", UnitName], null, ct).ConfigureAwait(false)).Stdout.Trim();
        var etcdActive = etcdState == "active";
        var kubeletActive = kubeletState == "active";
        var other = systemd.Topology.ConfigFile + (systemd.Topology.UnitFile is { } unit ? $" (loaded by {unit})" : "");
        if (etcdActive && !kubeletActive)
        {
            var t = systemd.Topology;
            return t with { Notes = [.. t.Notes, $"both {KubeadmManifest} and {other} exist; {t.ConfigFile} wins: {UnitName} is active and kubelet is not ({kubeletState ?? "absent"}), so nothing runs the static pod"] };
        }
        var why = kubeletActive ? "kubelet is active and runs it" : $"{UnitName} is not active ({(etcdState.Length == 0 ? "absent" : etcdState)})";
        var twice = etcdActive ? $"; {UnitName} is active too: two etcd on one master? Check before any restore" : "";
        return kubeadm with { Notes = [.. kubeadm.Notes, $"both {KubeadmManifest} and {other} exist; the kubeadm manifest wins: {why}{twice}"] };
    }

    private static async Task<MasterTopology> FromKubeadmAsync(IRemoteHost host, CancellationToken ct)
    {
        var text = await ReadTextAsync(host, KubeadmManifest, ct).ConfigureAwait(false);
        var pod = StaticPodManifest.Parse(text, $"{host.Name}:{KubeadmManifest}");
        var settings = SettingsFrom(pod.Environment);
        foreach (var (flag, value) in pod.Flags)
            settings[flag] = value;
        var map = new PathMap(pod.Mounts ?? [], containerized: true);
        var notes = new List<string>();
        // kubeadm made healthcheck-client for clients of etcd; it sits beside the CA.
        var ca = settings.GetValueOrDefault("trusted-ca-file");
        var client = (Sibling(ca, "healthcheck-client.crt"), Sibling(ca, "healthcheck-client.key"));
        var topology = Build(host.Name, EtcdFlavor.Kubeadm, settings, map, client, pod.WorkingDir, "pod", notes);
        return topology with { ConfigFile = KubeadmManifest, ConfigText = text, Image = pod.Image, EtcdVersion = VersionFromImage(pod.Image) };
    }

    /// <summary>
    /// The shared part: settings (flag name to value) to a topology, with every path etcd sees mapped
    /// to the host through <paramref name="map"/>. Refuses a data dir that is not on the host: a
    /// restore would move some other directory aside.
    /// </summary>
    private static MasterTopology Build(string host, EtcdFlavor flavor, Dictionary<string, string> settings, PathMap map,
        (string? Cert, string? Key) client, string? workingDir, string? inside, List<string> notes)
    {
        var name = settings.GetValueOrDefault("name") ?? Missing(notes, "--name", host);
        var dataDir = settings.GetValueOrDefault("data-dir");
        if (dataDir is null || !dataDir.StartsWith('/'))
        {
            // etcd's default is "<name>.etcd" in its working directory.
            var relative = dataDir ?? $"{settings.GetValueOrDefault("name") ?? "default"}.etcd";
            var baseDir = workingDir ?? "/";
            var resolved = baseDir.TrimEnd('/') + "/" + relative;
            notes.Add(dataDir is null ? $"no data dir set: etcd uses its default {relative} in its working directory {baseDir}, {resolved}"
                : $"data dir {dataDir} is relative: {resolved} from the working directory {baseDir}");
            dataDir = resolved;
        }
        var data = map.Map(dataDir);
        if (!data.OnHost)
            throw new DrException($"{host}: etcd's data dir {dataDir} is inside the {inside} on {data.Mount!.Volume}, not on a host path: "
                + "a restore could not reach it; give it a hostPath/bind mount first", FailureKind.Usage);
        if (data.HostPath != dataDir)
            notes.Add($"data dir: etcd sees {dataDir} inside the {inside}; on the host it is {data.HostPath} ({Describe(data.Mount!)}); a restore works on {data.HostPath}");

        var certNotes = new List<string>();
        string? Host(string? path)
        {
            if (path is null)
                return null;
            var mapped = map.Map(path);
            if (!mapped.OnHost)
                certNotes.Add($"{path} is inside the {inside} ({mapped.Mount!.Volume}), not on a host path");
            else if (mapped.HostPath != path)
                certNotes.Add($"{path} inside the {inside} is {mapped.HostPath} on the host ({Describe(mapped.Mount!)})");
            return mapped.HostPath;
        }
        var certs = new EtcdCertPaths(
            Host(settings.GetValueOrDefault("trusted-ca-file")), Host(settings.GetValueOrDefault("cert-file")), Host(settings.GetValueOrDefault("key-file")),
            Host(settings.GetValueOrDefault("peer-trusted-ca-file")), Host(settings.GetValueOrDefault("peer-cert-file")), Host(settings.GetValueOrDefault("peer-key-file")),
            Host(client.Cert), Host(client.Key));
        notes.AddRange(certNotes.Distinct());
        return new MasterTopology(host, flavor, "", name, data.HostPath,
            Urls(settings.GetValueOrDefault("initial-advertise-peer-urls")), Urls(settings.GetValueOrDefault("advertise-client-urls")),
            settings.GetValueOrDefault("initial-cluster"), settings.GetValueOrDefault("initial-cluster-token"), certs,
            null, null, EtcdTool.None, EtcdTool.None, false, null, notes, PodDataDir: map.Containerized ? dataDir : null);
    }

    private static string Describe(PathMount mount) => mount.Volume == mount.HostPath ? $"bind of {mount.HostPath}" : $"volume {mount.Volume}";


    /// <summary>ETCD_* variables as flag names; ETCDCTL_CACERT stands in for the CA when etcd names none.</summary>
    private static Dictionary<string, string> SettingsFrom(IReadOnlyDictionary<string, string> env)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in env)
        {
            if (EtcdCommandLine.FlagOfVariable(k) is { } flag)
                settings[flag] = v;
        }
        if (!settings.ContainsKey("trusted-ca-file") && (env.GetValueOrDefault("ETCDCTL_CACERT") ?? env.GetValueOrDefault("ETCDCTL_CA_FILE")) is { } ca)
            settings["trusted-ca-file"] = ca;
        return settings;
    }

    /// <summary>A flag beats the variable of the same setting (etcd warns about it); say so when they differ.</summary>
    private static void MergeFlags(Dictionary<string, string> settings, IReadOnlyDictionary<string, string> flags, List<string> notes)
    {
        foreach (var (flag, value) in flags)
        {
            if (settings.TryGetValue(flag, out var fromEnv) && fromEnv != value)
                notes.Add($"--{flag}={value} on the command line overrides ETCD_{flag.ToUpperInvariant().Replace('-', '_')}={fromEnv}");
            settings[flag] = value;
        }
    }

    /// <summary>Every certificate path and the data dir, checked in one `ls -1d`; the missing ones are named.</summary>
    private static async Task<IReadOnlyList<string>> MissingPathNotesAsync(IRemoteHost host, MasterTopology t, CancellationToken ct)
    {
        var c = t.Certs;
        var certs = new[] { c.TrustedCa, c.ServerCert, c.ServerKey, c.PeerTrustedCa, c.PeerCert, c.PeerKey, c.ClientCert, c.ClientKey }
            .OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        var present = await PresentAsync(host, [.. certs, t.DataDir], ct).ConfigureAwait(false);
        var notes = new List<string>();
        var missing = certs.Where(p => !present.Contains(p)).ToList();
        if (missing.Count > 0)
            notes.Add($"certificate files named but missing on {t.Host}: {string.Join(", ", missing)}");
        if (!present.Contains(t.DataDir))
            notes.Add($"data dir {t.DataDir} does not exist on {t.Host}");
        return notes;
    }

    private static EtcdTool? HostTool(string name, HashSet<string> present) =>
        ToolDirs.Select(d => $"{d}/{name}").FirstOrDefault(present.Contains) is { } path ? new EtcdTool("host", path) : null;

    /// <summary>
    /// `etcdctl version` / `etcdutl version`: read-only, answered without a server. Asked only of an
    /// ELF binary: a script of that name could do anything.
    /// </summary>
    private static async Task<string?> ToolVersionAsync(IRemoteHost host, EtcdTool? tool, CancellationToken ct)
    {
        if (tool?.Path is not { } path)
            return null;
        var head = await host.RunAsync(["head", "-c", "4", "--", path], RemoteRunOptions.Root, ct).ConfigureAwait(false);
        if (head.ExitCode != 0 || !head.Stdout.StartsWith("\u007fELF", StringComparison.Ordinal))
            return null;
        try
        {
            var result = await host.RunAsync([path, "version"], new RemoteRunOptions(Timeout: VersionTimeout), ct).ConfigureAwait(false);
            return ToolVersionLine().Match(result.Stdout) is { Success: true } m ? m.Groups[1].Value : null;
        }
        catch (RemoteException ex) when (ex.Failure == RemoteFailure.TimedOut)
        {
            return null;
        }
    }

    private static async Task<(bool, string?)> KubeletAsync(IRemoteHost host, CancellationToken ct)
    {
        var result = await host.RunAsync(["systemctl", "is-active", "kubelet"], null, ct).ConfigureAwait(false);
        var state = result.Stdout.Trim();
        // is-active prints "inactive"/"unknown" both for units that exist but are stopped and for
        // absent ones; any other state (failed, activating, ...) names a loaded unit. A failed
        // kubelet (killed, start limit hit) is still the kubelet the restore must start again: read
        // as "no kubelet", parked manifests would never stop their pods nor etcd start again.
        if (state is not ("" or "inactive" or "unknown"))
            return (true, state);
        var unitExists = await host.RunAsync(["systemctl", "cat", "kubelet"], null, ct).ConfigureAwait(false);
        return (unitExists.ExitCode == 0, state.Length == 0 ? null : state);
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

    /// <summary>The file's text, or null when it does not exist (or cannot be read: cat failed).</summary>
    private static async Task<string?> TryReadTextAsync(IRemoteHost host, string path, CancellationToken ct)
    {
        try
        {
            return await ReadTextAsync(host, path, ct).ConfigureAwait(false);
        }
        catch (RemoteException ex) when (ex.Failure == RemoteFailure.CommandFailed)
        {
            return null;
        }
    }

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

    [GeneratedRegex(@"(?:etcdctl|etcdutl) version:\s*v?(\d+\.\d+\.\d+)")]
    private static partial Regex ToolVersionLine();

    [GeneratedRegex(@"\A\s*#\s*Environment file for etcd v?(\d+\.\d+\.\d+)")]
    private static partial Regex KubesprayEnvHeader();
}
