using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace EtcdDr.Remote;

/// <summary>
/// Checks a YAML text before anything builds a node tree from it. YamlDotNet's representation model
/// accepts an alias inside its own anchor (a node that contains itself: walking it never ends and
/// overflowed the stack) and shares aliased nodes, so a few lines of nested aliases
/// ("billion laughs") expand to billions of nodes for whoever walks them. This reads the parser's
/// events once, iteratively, and refuses recursion, deep nesting and aliases that expand to more
/// nodes than the file itself holds many times over, each with file:line.
/// </summary>
public static class YamlAliasGuard
{
    /// <summary>Deeper than any inventory; the node tree builders recurse once per level.</summary>
    public const int MaxDepth = 64;

    /// <summary>Nodes aliases may add beyond the file's own, at least: a shared `vars` block reused by
    /// many hosts stays well under it, a fan-out of nested aliases does not.</summary>
    public const long MinExpansionAllowance = 100_000;

    /// <summary>...or this many times the file's own node count, whichever is larger.</summary>
    public const long ExpansionFactor = 10;

    public static void Check(string yaml, string source)
    {
        // Every anchor definition gets an id (a name may be defined again; an alias means the latest).
        // Per definition: its node count with the aliases inside expanded, or -1 while its node is
        // still being read: an alias to such a one is a recursion.
        var latest = new Dictionary<string, int>(StringComparer.Ordinal);
        var sizes = new List<long>();
        var lines = new List<long>();
        var open = new Stack<(int Definition, long StartCount)>();
        long ownNodes = 0, expanded = 0;
        int Define(AnchorName anchor, long size, long line)
        {
            if (anchor.IsEmpty)
                return -1;
            sizes.Add(size);
            lines.Add(line);
            return latest[anchor.Value] = sizes.Count - 1;
        }
        var parser = new Parser(new StringReader(yaml));
        try
        {
            while (parser.MoveNext())
            {
                switch (parser.Current)
                {
                    case AnchorAlias alias:
                        if (!latest.TryGetValue(alias.Value.Value, out var definition))
                            throw new DrException($"{source}:{alias.Start.Line}: alias *{alias.Value} names no anchor defined before it", FailureKind.Usage);
                        var size = sizes[definition];
                        if (size < 0)
                            throw new DrException($"{source}:{alias.Start.Line}: alias *{alias.Value} is inside its own anchor &{alias.Value} (line {lines[definition]}): a recursive alias is not allowed", FailureKind.Usage);
                        ownNodes++;
                        expanded += size;
                        var allowance = Math.Max(MinExpansionAllowance, ExpansionFactor * ownNodes);
                        if (expanded > allowance)
                            throw new DrException($"{source}:{alias.Start.Line}: aliases expand to more than {allowance} nodes (alias *{alias.Value} adds {size}): refusing a file that grows this much when read", FailureKind.Usage);
                        break;
                    case Scalar scalar:
                        ownNodes++;
                        expanded++;
                        Define(scalar.Anchor, 1, scalar.Start.Line);
                        break;
                    case NodeEvent start when start is MappingStart or SequenceStart:
                        ownNodes++;
                        expanded++;
                        open.Push((Define(start.Anchor, -1, start.Start.Line), expanded));
                        if (open.Count > MaxDepth)
                            throw new DrException($"{source}:{start.Start.Line}: nested more than {MaxDepth} levels deep", FailureKind.Usage);
                        break;
                    case MappingEnd or SequenceEnd:
                        var (closed, startCount) = open.Pop();
                        if (closed >= 0)
                            sizes[closed] = expanded - startCount + 1;
                        break;
                }
            }
        }
        catch (YamlException ex)
        {
            throw new DrException($"{source}:{ex.Start.Line}:{ex.Start.Column}: {ex.InnerException?.Message ?? ex.Message}", FailureKind.Usage, ex);
        }
    }
}
