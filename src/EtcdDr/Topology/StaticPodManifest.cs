using YamlDotNet.RepresentationModel;

namespace EtcdDr.Topology;

/// <summary>
/// A kubeadm static pod manifest (/etc/kubernetes/manifests/etcd.yaml), read with YamlDotNet so
/// any formatting of it works (kubeadm's block style, JSON, another tool's rewrite). Discovery uses
/// the flags; the lab's kubelet runs the command.
/// </summary>
/// <param name="Command">The container's command followed by its args, as kubelet would run them.</param>
/// <param name="Flags">"--flag=value" and "--flag value" words of the command, keyed without dashes.</param>
public sealed record StaticPodManifest(
    string PodName, string ContainerName, string? Image, IReadOnlyList<string> Command,
    IReadOnlyDictionary<string, string> Flags, IReadOnlyDictionary<string, string> Environment)
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
        return new StaticPodManifest(podName, Scalar(container, "name") ?? "main", Scalar(container, "image"), command, FlagsOf(command), env);
    }

    private static Dictionary<string, string> FlagsOf(List<string> words)
    {
        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < words.Count; i++)
        {
            var word = words[i];
            if (!word.StartsWith("--", StringComparison.Ordinal))
                continue;
            var eq = word.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
                flags[word[2..eq]] = word[(eq + 1)..];
            else if (i + 1 < words.Count && !words[i + 1].StartsWith("--", StringComparison.Ordinal))
                flags[word[2..]] = words[++i];
            else
                flags[word[2..]] = "true";
        }
        return flags;
    }

    private static YamlNode? Child(YamlNode? node, string key) =>
        node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private static string? Scalar(YamlNode? node, string key) => (Child(node, key) as YamlScalarNode)?.Value;
}
