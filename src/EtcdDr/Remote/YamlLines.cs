using YamlDotNet.RepresentationModel;

namespace EtcdDr.Remote;

/// <summary>
/// Line numbers of a YAML document's nodes by dotted path ("masters.1.address"), so a problem found
/// after deserializing can still say file:line. A path that is not there falls back to its
/// nearest existing parent, and the document's first line last.
/// </summary>
public sealed class YamlLines
{
    private readonly YamlNode? _root;

    private YamlLines(YamlNode? root) => _root = root;

    public static YamlLines Of(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            // Building the tree from a recursive or fan-out alias never ends: no lines then.
            YamlAliasGuard.Check(yaml, "");
        }
        catch (DrException)
        {
            return new YamlLines(null);
        }
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlDotNet.Core.YamlException)
        {
            return new YamlLines(null); // only called after a successful parse; keep going without lines
        }
        return new YamlLines(stream.Documents.FirstOrDefault()?.RootNode);
    }

    public long Line(string path)
    {
        var node = _root;
        long line = node?.Start.Line ?? 1;
        foreach (var part in path.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            YamlNode? next = null;
            if (node is YamlMappingNode map)
            {
                // The key's line: for a block mapping it is where the operator looks.
                var entry = map.Children.FirstOrDefault(e => e.Key is YamlScalarNode k && k.Value == part);
                if (entry.Key is not null)
                {
                    line = entry.Key.Start.Line;
                    next = entry.Value;
                }
            }
            else if (node is YamlSequenceNode seq && int.TryParse(part, System.Globalization.CultureInfo.InvariantCulture, out var i) && i >= 0 && i < seq.Children.Count)
            {
                next = seq.Children[i];
                line = next.Start.Line;
            }
            if (next is null)
                break;
            node = next;
        }
        return line;
    }
}
