using YamlDotNet.RepresentationModel;

namespace EtcdDr.Remote;

/// <summary>
/// Kubespray's own inventory, read as is: hosts.yaml (all.hosts with ansible_host/ip, groups under
/// all.children) or the Ansible INI form. The masters are the `etcd` group (the etcd members),
/// falling back to `kube_control_plane` where etcd is stacked and the group is absent. SSH settings
/// come from the ansible_* variables with Ansible's precedence: host variables over group variables,
/// a child group's over its parent's, `all` lowest.
/// </summary>
public static class KubesprayInventory
{
    public static readonly string[] MasterGroups = ["etcd", "kube_control_plane", "kube-master"];

    /// <summary>What both forms are read into before the masters are picked.</summary>
    private sealed class Parsed
    {
        public Dictionary<string, Dictionary<string, string>> HostVars { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, Dictionary<string, string>> GroupVars { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, List<string>> Hosts { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, List<string>> Children { get; } = new(StringComparer.Ordinal);

        /// <summary>Where each host is first named, for file:line in messages about it.</summary>
        public Dictionary<string, long> HostLines { get; } = new(StringComparer.Ordinal);

        public List<string> HostsOf(string group) => Hosts.TryGetValue(group, out var h) ? h : Hosts[group] = [];

        public Dictionary<string, string> VarsOf(Dictionary<string, Dictionary<string, string>> map, string key) =>
            map.TryGetValue(key, out var v) ? v : map[key] = new Dictionary<string, string>(StringComparer.Ordinal);

        public void AddChild(string parent, string child)
        {
            var list = Children.TryGetValue(parent, out var c) ? c : Children[parent] = [];
            if (!list.Contains(child))
                list.Add(child);
            HostsOf(child);
        }
    }

    public static Inventory ParseYaml(string text, string source, string cluster)
    {
        // Before the tree is built: a recursive alias overflowed the stack, a fan-out one took minutes.
        YamlAliasGuard.Check(text, source);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlDotNet.Core.YamlException ex)
        {
            throw new DrException($"{source}:{ex.Start.Line}: {ex.Message}", FailureKind.Usage, ex);
        }
        var all = Get(stream.Documents.FirstOrDefault()?.RootNode, "all") as YamlMappingNode
            ?? throw new DrException($"{source}: no top-level 'all:' group; is this a Kubespray hosts.yaml?", FailureKind.Usage);
        var parsed = new Parsed();
        CollectGroup("all", all, parsed, source);
        return Build(parsed, source, cluster);
    }

    private static void CollectGroup(string name, YamlMappingNode group, Parsed parsed, string source)
    {
        var members = parsed.HostsOf(name);
        if (Get(group, "hosts") is YamlMappingNode hosts)
        {
            foreach (var (key, value) in hosts.Children)
            {
                var host = Name(key, source);
                members.Add(host);
                parsed.HostLines.TryAdd(host, key.Start.Line);
                CopyScalars(value, parsed.VarsOf(parsed.HostVars, host));
            }
        }
        CopyScalars(Get(group, "vars"), parsed.VarsOf(parsed.GroupVars, name));
        if (Get(group, "children") is YamlMappingNode children)
        {
            foreach (var (key, value) in children.Children)
            {
                var child = Name(key, source);
                parsed.AddChild(name, child);
                CollectGroup(child, value as YamlMappingNode ?? new YamlMappingNode(), parsed, source);
            }
        }
    }

    private static string Name(YamlNode key, string source) =>
        key is YamlScalarNode { Value: { } name } ? name
        : throw new DrException($"{source}:{key.Start.Line}: a host or group name must be a plain value, not a list or mapping", FailureKind.Usage);

    private static void CopyScalars(YamlNode? node, Dictionary<string, string> into)
    {
        if (node is not YamlMappingNode map)
            return;
        foreach (var (k, val) in map.Children)
        {
            if (val is YamlScalarNode scalar)
                into[((YamlScalarNode)k).Value!] = scalar.Value ?? "";
        }
    }

    private static YamlNode? Get(YamlNode? node, string key) =>
        node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    public static Inventory ParseIni(string text, string source, string cluster)
    {
        var parsed = new Parsed();
        // Hosts before the first [group] are Ansible's "ungrouped".
        var section = "ungrouped";
        var lineNo = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
                continue;
            if (line[0] == '[')
            {
                if (!line.EndsWith(']'))
                    throw new DrException($"{source}:{lineNo}: unterminated section header '{line}'", FailureKind.Usage);
                section = line[1..^1].Trim();
                continue;
            }
            if (section.EndsWith(":vars", StringComparison.Ordinal))
            {
                // key=value, the value being the rest of the line (it may hold spaces).
                var eq = line.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                    throw new DrException($"{source}:{lineNo}: '{line}' in [{section}] is not key=value", FailureKind.Usage);
                parsed.VarsOf(parsed.GroupVars, section[..^":vars".Length])[line[..eq].Trim()] = Unquote(line[(eq + 1)..].Trim());
                continue;
            }
            var words = Words(line, source, lineNo);
            if (section.EndsWith(":children", StringComparison.Ordinal))
            {
                parsed.AddChild(section[..^":children".Length], words[0]);
                continue;
            }
            var host = words[0];
            parsed.HostsOf(section).Add(host);
            parsed.HostLines.TryAdd(host, lineNo);
            var vars = parsed.VarsOf(parsed.HostVars, host);
            foreach (var word in words.Skip(1))
            {
                var eq = word.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                    throw new DrException($"{source}:{lineNo}: '{word}' is not key=value", FailureKind.Usage);
                vars[word[..eq]] = word[(eq + 1)..];
            }
        }
        return Build(parsed, source, cluster);
    }

    /// <summary>
    /// Splits a host line as Ansible does (shlex): whitespace separates words, except inside single
    /// or double quotes, which are removed (key="/path/with spaces/id_rsa").
    /// </summary>
    public static List<string> Words(string line, string source, int lineNo)
    {
        var words = new List<string>();
        var current = new System.Text.StringBuilder();
        var inWord = false;
        char? quote = null;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote is { } q)
            {
                if (c == q)
                    quote = null;
                else if (c == '\\' && q == '"' && i + 1 < line.Length && line[i + 1] is '"' or '\\')
                    current.Append(line[++i]);
                else
                    current.Append(c);
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                    words.Add(current.ToString());
                current.Clear();
                inWord = false;
            }
            else if (c == '#' && !inWord)
            {
                break; // a comment after the host's variables
            }
            else
            {
                current.Append(c);
                inWord = true;
            }
        }
        if (quote is not null)
            throw new DrException($"{source}:{lineNo}: unterminated {quote} quote", FailureKind.Usage);
        if (inWord)
            words.Add(current.ToString());
        return words;
    }

    private static string Unquote(string value) =>
        value.Length >= 2 && (value[0] == '"' && value[^1] == '"' || value[0] == '\'' && value[^1] == '\'') ? value[1..^1] : value;

    private static Inventory Build(Parsed parsed, string source, string cluster)
    {
        var group = MasterGroups.FirstOrDefault(g => Members(parsed, g).Count > 0)
            ?? throw new DrException($"{source}: no host in an [etcd] or [kube_control_plane] group", FailureKind.Usage);
        var depth = Depths(parsed);
        var membership = Memberships(parsed, depth.Keys);
        var masters = new List<MasterHost>();
        var problems = new List<string>();
        foreach (var host in Members(parsed, group))
        {
            var vars = EffectiveVars(parsed, depth, membership, host);
            var at = $"{source}:{parsed.HostLines.GetValueOrDefault(host, 1)}: {host}";
            var address = First(vars, "ansible_host", "ansible_ssh_host") ?? vars.GetValueOrDefault("access_ip") ?? vars.GetValueOrDefault("ip") ?? host;
            if (InventoryValidation.AddressProblem(address) is { } addressProblem)
                problems.Add($"{at}: address '{address}' {addressProblem}");
            var portText = First(vars, "ansible_port", "ansible_ssh_port");
            int? port = null;
            if (portText is not null)
            {
                port = InventoryValidation.ParsePort(portText);
                if (port is null)
                    problems.Add($"{at}: ansible_port '{portText}' is not a port number (1-65535)");
            }
            var user = First(vars, "ansible_user", "ansible_ssh_user");
            if (user is not null && InventoryValidation.UserProblem(user) is { } userProblem)
                problems.Add($"{at}: ansible_user '{user}' {userProblem}");
            masters.Add(new MasterHost(host, address, port, user,
                IdentityFile: First(vars, "ansible_ssh_private_key_file", "ansible_private_key_file")));
        }
        if (problems.Count > 0)
            throw new DrException(problems.Count <= 5 ? string.Join("; ", problems) : string.Join("; ", problems.Take(5)) + $"; and {problems.Count - 5} more", FailureKind.Usage);
        return new Inventory(cluster, new SshSettings(), masters);
    }

    private static string? First(Dictionary<string, string> vars, params string[] names) =>
        names.Select(n => vars.GetValueOrDefault(n)).FirstOrDefault(v => !string.IsNullOrEmpty(v));

    /// <summary>A group's hosts, its child groups' included, in inventory order, each once.</summary>
    private static List<string> Members(Parsed parsed, string group)
    {
        var result = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Visit(string g)
        {
            if (!seen.Add("group:" + g))
                return;
            foreach (var h in parsed.Hosts.GetValueOrDefault(g) ?? [])
            {
                if (seen.Add(h))
                    result.Add(h);
            }
            foreach (var child in parsed.Children.GetValueOrDefault(g) ?? [])
                Visit(child);
        }
        Visit(group);
        return result;
    }

    /// <summary>Ansible's group depth: `all` is 0, a group is one deeper than its deepest parent.</summary>
    private static Dictionary<string, int> Depths(Parsed parsed)
    {
        var depth = new Dictionary<string, int>(StringComparer.Ordinal) { ["all"] = 0 };
        void Set(string g, int d, int guard)
        {
            if (guard > 64 || depth.TryGetValue(g, out var known) && known >= d)
                return;
            depth[g] = d;
            foreach (var child in parsed.Children.GetValueOrDefault(g) ?? [])
                Set(child, d + 1, guard + 1);
        }
        foreach (var g in parsed.Hosts.Keys.Concat(parsed.GroupVars.Keys).Where(g => g != "all"))
            Set(g, 1, 0);
        foreach (var child in parsed.Children.GetValueOrDefault("all") ?? [])
            Set(child, 1, 0);
        return depth;
    }

    /// <summary>Each group's hosts (children's included) as a set, computed once: asking per host
    /// and group made a 5,000-host inventory quadratic in its size.</summary>
    private static Dictionary<string, HashSet<string>> Memberships(Parsed parsed, IEnumerable<string> groups) =>
        groups.Where(g => g != "all").ToDictionary(g => g, g => Members(parsed, g).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);

    /// <summary>all's vars, then every group the host is in by depth and name, then the host's own.</summary>
    private static Dictionary<string, string> EffectiveVars(Parsed parsed, Dictionary<string, int> depth, Dictionary<string, HashSet<string>> membership, string host)
    {
        var vars = new Dictionary<string, string>(parsed.GroupVars.GetValueOrDefault("all") ?? [], StringComparer.Ordinal);
        var groups = membership.Where(m => m.Value.Contains(host)).Select(m => m.Key)
            .OrderBy(g => depth[g]).ThenBy(g => g, StringComparer.Ordinal);
        foreach (var g in groups)
        {
            foreach (var (k, v) in parsed.GroupVars.GetValueOrDefault(g) ?? [])
                vars[k] = v;
        }
        foreach (var (k, v) in parsed.HostVars.GetValueOrDefault(host) ?? [])
            vars[k] = v;
        return vars;
    }
}
