using YamlDotNet.Serialization;

namespace EtcdDr.Lab;

/// <summary>
/// The parts of a static pod manifest the lab kubelet runs: the first container's name, command,
/// args and plain env values. Parsed with YamlDotNet, so a manifest rewritten by any tool (flow
/// style, quotes, other key order) works, not only the lab's own.
/// </summary>
public sealed record StaticPodManifest(string PodName, string ContainerName, IReadOnlyList<string> Command, IReadOnlyDictionary<string, string> Environment)
{
    private static readonly IDeserializer Reader = new DeserializerBuilder().IgnoreUnmatchedProperties().Build();

    public static StaticPodManifest Parse(string yaml, string source)
    {
        var pod = Reader.Deserialize<PodDocument>(yaml) ?? throw new FormatException($"{source} is empty");
        var container = pod.spec?.containers?.FirstOrDefault() ?? throw new FormatException($"{source} has no spec.containers");
        var command = (container.command ?? []).Concat(container.args ?? []).ToList();
        if (command.Count == 0)
            throw new FormatException($"{source}: container {container.name} has no command (the lab cannot run an image's entrypoint)");
        var env = (container.env ?? []).Where(e => e.name is not null && e.value is not null).ToDictionary(e => e.name!, e => e.value!);
        return new StaticPodManifest(pod.metadata?.name ?? Path.GetFileNameWithoutExtension(source), container.name ?? "main", command, env);
    }

    /// <summary>"--name=value" of the command, or null.</summary>
    public string? Flag(string name) =>
        Command.FirstOrDefault(a => a.StartsWith(name + "=", StringComparison.Ordinal))?[(name.Length + 1)..];

    // Lower-case members mirror the Kubernetes field names so YamlDotNet maps them without a naming convention.
#pragma warning disable IDE1006, CA1812
    private sealed class PodDocument
    {
        public Metadata? metadata { get; set; }
        public PodSpec? spec { get; set; }
    }

    private sealed class Metadata
    {
        public string? name { get; set; }
    }

    private sealed class PodSpec
    {
        public List<Container>? containers { get; set; }
    }

    private sealed class Container
    {
        public string? name { get; set; }
        public List<string>? command { get; set; }
        public List<string>? args { get; set; }
        public List<EnvVar>? env { get; set; }
    }

    private sealed class EnvVar
    {
        public string? name { get; set; }
        public string? value { get; set; }
    }
#pragma warning restore IDE1006, CA1812
}
