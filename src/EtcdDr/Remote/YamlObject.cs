using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace EtcdDr.Remote;

/// <summary>
/// Reads a small YAML config (etcd-dr.yaml, config.yaml) field by field from YamlDotNet's node tree.
/// Why not YamlDotNet's deserializer: it finds properties by reflection, which the published
/// Native AOT etcd-dr cannot do (its static generator needs a newer YamlDotNet). As the deserializer
/// did, an unknown key or a value of the wrong shape is a YamlException at its line and column;
/// every key a caller reads counts as known.
/// </summary>
public sealed class YamlObject
{
    private readonly YamlMappingNode _node;
    private readonly string _what;
    private readonly IReadOnlyCollection<string> _known;

    private YamlObject(YamlMappingNode node, string what, IReadOnlyCollection<string> known)
    {
        _node = node;
        _what = what;
        _known = known;
        foreach (var key in node.Children.Keys)
        {
            if (key is not YamlScalarNode { Value: { } name } || !known.Contains(name))
                throw new FieldException(key.Start, key.End, $"unknown key '{(key as YamlScalarNode)?.Value ?? key.ToString()}' in {what}; known keys: {string.Join(", ", known)}");
        }
    }

    /// <summary>The document's top mapping, or null for an empty document.</summary>
    public static YamlObject? Parse(string yaml, string what, params string[] known)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var root = stream.Documents.FirstOrDefault()?.RootNode;
        return root switch
        {
            null => null,
            YamlScalarNode { Value: null or "" or "~" or "null" } => null,
            YamlMappingNode map => new YamlObject(map, what, known),
            _ => throw new FieldException(root.Start, root.End, $"{what} must be a mapping of keys to values"),
        };
    }

    public string? String(string key) => Node(key) switch
    {
        null => null,
        YamlScalarNode scalar => IsNull(scalar) ? null : scalar.Value,
        var other => throw Wrong(other, key, "a single value"),
    };

    public List<string>? Strings(string key) => Node(key) switch
    {
        null => null,
        YamlScalarNode scalar when IsNull(scalar) => null,
        YamlSequenceNode list => [.. list.Children.Select(item => item is YamlScalarNode s && !IsNull(s) ? s.Value! : throw Wrong(item, key, "a list of values"))],
        var other => throw Wrong(other, key, "a list"),
    };

    public bool? Bool(string key) => String(key) switch
    {
        null => null,
        var text when bool.TryParse(text, out var value) => value,
        _ => throw Wrong(Node(key)!, key, "true or false"),
    };

    public int? Int(string key) => String(key) switch
    {
        null => null,
        var text when int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) => value,
        _ => throw Wrong(Node(key)!, key, "a whole number"),
    };

    public YamlObject? Object(string key, params string[] known) => Node(key) switch
    {
        null => null,
        YamlScalarNode scalar when IsNull(scalar) => null,
        YamlMappingNode map => new YamlObject(map, $"{_what}.{key}", known),
        var other => throw Wrong(other, key, "a mapping of keys to values"),
    };

    public List<YamlObject>? Objects(string key, params string[] known) => Node(key) switch
    {
        null => null,
        YamlScalarNode scalar when IsNull(scalar) => null,
        YamlSequenceNode list => [.. list.Children.Select((item, i) => item is YamlMappingNode map
            ? new YamlObject(map, $"{_what}.{key}[{i}]", known)
            : throw Wrong(item, $"{key}[{i}]", "a mapping of keys to values"))],
        var other => throw Wrong(other, key, "a list"),
    };

    private YamlNode? Node(string key)
    {
        if (!_known.Contains(key))
            throw new InvalidOperationException($"{key} is read but not declared as a key of {_what}");
        return _node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;
    }

    // A plain ~, null or empty value is YAML's null; a quoted one is the text.
    private static bool IsNull(YamlScalarNode scalar) =>
        scalar.Style is ScalarStyle.Plain or ScalarStyle.Any && scalar.Value is null or "" or "~" or "null" or "Null" or "NULL";

    private FieldException Wrong(YamlNode node, string key, string expected) =>
        new(node.Start, node.End, $"{_what}.{key} must be {expected}");

    /// <summary>Its message is the problem alone: callers print file:line:column before it.</summary>
    private sealed class FieldException : YamlException
    {
        private readonly string _problem;

        public FieldException(Mark start, Mark end, string problem) : base(start, end, problem) => _problem = problem;

        public override string Message => _problem;
    }
}
