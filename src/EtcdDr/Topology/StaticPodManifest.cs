using YamlDotNet.RepresentationModel;

namespace EtcdDr.Topology;

/// <summary>
/// The etcd flags of a kubeadm static pod manifest (/etc/kubernetes/manifests/etcd.yaml): kubeadm
/// writes them as a `command:` list of "--flag=value" strings on the etcd container, plus the image.
/// </summary>
public sealed record StaticPodManifest(string? Image, IReadOnlyDictionary<string, string> Flags)
{
    public string? Flag(string name) => Flags.GetValueOrDefault(name);

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
        var container = Child(Child(root, "spec"), "containers") is YamlSequenceNode containers
            ? containers.Children.OfType<YamlMappingNode>().FirstOrDefault(c => Scalar(c, "name") == "etcd") ?? containers.Children.OfType<YamlMappingNode>().FirstOrDefault()
            : null;
        if (container is null)
            throw new DrException($"{source}: no container in spec.containers", FailureKind.Usage);
        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        var words = new List<string>();
        foreach (var key in new[] { "command", "args" })
        {
            if (Child(container, key) is YamlSequenceNode list)
                words.AddRange(list.Children.OfType<YamlScalarNode>().Select(s => s.Value ?? ""));
        }
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
        return new StaticPodManifest(Scalar(container, "image"), flags);
    }

    private static YamlNode? Child(YamlNode? node, string key) =>
        node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private static string? Scalar(YamlNode node, string key) => (Child(node, key) as YamlScalarNode)?.Value;
}
