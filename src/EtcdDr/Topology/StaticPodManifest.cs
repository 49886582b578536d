using YamlDotNet.RepresentationModel;

namespace EtcdDr.Topology;

/// <summary>
/// A kubeadm static pod manifest (/etc/kubernetes/manifests/etcd.yaml), read with YamlDotNet so
/// any formatting of it works (kubeadm's block style, JSON, another tool's rewrite). Discovery uses
/// the flags; the lab's kubelet runs the command.
/// </summary>
/// <param name="Command">The container's command followed by its args, as kubelet would run them.</param>
/// <param name="Flags">etcd's flags in the command (-flag or --flag, =value or the next word, also inside
/// `sh -c "etcd ..."`), keyed without dashes.</param>
/// <param name="Mounts">The container's volumeMounts, each with its volume's hostPath (+ subPath) or null
/// when the volume is not a hostPath: how a path etcd sees maps to the host.</param>
public sealed record StaticPodManifest(
    string PodName, string ContainerName, string? Image, IReadOnlyList<string> Command,
    IReadOnlyDictionary<string, string> Flags, IReadOnlyDictionary<string, string> Environment,
    IReadOnlyList<PathMount>? Mounts = null, string? WorkingDir = null)
{
    /// <summary>A flag's value by name, with or without the leading dashes.</summary>
    public string? Flag(string name) => Flags.GetValueOrDefault(name.TrimStart('-'));

    public static StaticPodManifest Parse(string yaml, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlDotNet.Core.YamlException ex)
        {
            throw new DrException($"{source}: not valid YAML ({ex.Message})", FailureKind.Usage, ex);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new DrException($"{source}: empty manifest", FailureKind.Usage);
        var containers = (Child(Child(root, "spec"), "containers") as YamlSequenceNode)?.Children.OfType<YamlMappingNode>().ToList() ?? [];
        var container = containers.FirstOrDefault(c => Scalar(c, "name") == "etcd") ?? containers.FirstOrDefault()
            ?? throw new DrException($"{source}: no container in spec.containers", FailureKind.Usage);

        var command = new List<string>();
        foreach (var key in new[] { "command", "args" })
        {
            if (Child(container, key) is YamlSequenceNode list)
                command.AddRange(list.Children.OfType<YamlScalarNode>().Select(s => s.Value ?? ""));
        }
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Child(container, "env") is YamlSequenceNode vars)
        {
            // Only literal values: valueFrom (secrets, field refs) has no meaning outside a cluster.
            foreach (var v in vars.Children.OfType<YamlMappingNode>())
            {
                if (Scalar(v, "name") is { } name && Scalar(v, "value") is { } value)
                    env[name] = value;
            }
        }
        var podName = Scalar(Child(root, "metadata"), "name") ?? Path.GetFileNameWithoutExtension(source);
        // The etcd program's own arguments; a command that names no etcd (a wrapper) is read from its second word.
        var flags = EtcdCommandLine.Flags(EtcdCommandLine.EtcdArguments(command) ?? command.Skip(1).ToList());
        return new StaticPodManifest(podName, Scalar(container, "name") ?? "main", Scalar(container, "image"), command, flags, env,
            MountsOf(root, container), Scalar(container, "workingDir"));
    }

    /// <summary>volumeMounts joined with spec.volumes: hostPath volumes give a host path, others none.</summary>
    private static List<PathMount> MountsOf(YamlMappingNode root, YamlMappingNode container)
    {
        var hostPaths = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (Child(Child(root, "spec"), "volumes") is YamlSequenceNode volumes)
        {
            foreach (var volume in volumes.Children.OfType<YamlMappingNode>())
            {
                if (Scalar(volume, "name") is { } name)
                    hostPaths[name] = Scalar(Child(volume, "hostPath"), "path");
            }
        }
        var mounts = new List<PathMount>();
        if (Child(container, "volumeMounts") is YamlSequenceNode list)
        {
            foreach (var mount in list.Children.OfType<YamlMappingNode>())
            {
                if (Scalar(mount, "mountPath") is not { } mountPath || Scalar(mount, "name") is not { } name)
                    continue;
                var host = hostPaths.GetValueOrDefault(name);
                if (host is not null && Scalar(mount, "subPath") is { Length: > 0 } subPath)
                    host = host.TrimEnd('/') + "/" + subPath;
                mounts.Add(new PathMount(mountPath, host, name));
            }
        }
        return mounts;
    }

    private static YamlNode? Child(YamlNode? node, string key) =>
        node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private static string? Scalar(YamlNode? node, string key) => (Child(node, key) as YamlScalarNode)?.Value;
}
