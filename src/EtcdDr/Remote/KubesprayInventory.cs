using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace EtcdDr.Remote;

/// <summary>
/// Kubespray's own inventory, read as is: hosts.yaml (all.hosts with ansible_host/ip, groups under
/// all.children) or the Ansible INI form. The masters are the `etcd` group (the etcd members),
/// falling back to `kube_control_plane` where etcd is stacked and the group is absent. SSH settings
/// come from the ansible_* host variables.
/// </summary>
public static class KubesprayInventory
{
    public static readonly string[] MasterGroups = ["etcd", "kube_control_plane", "kube-master"];

    public static Inventory ParseYaml(string text, string source, string cluster)
    {
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
        var hostVars = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        var groups = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        CollectGroup("all", all, hostVars, groups);
        return Build(hostVars, groups, source, cluster);
    }

    private static void CollectGroup(string name, YamlMappingNode group, Dictionary<string, Dictionary<string, string>> hostVars, Dictionary<string, List<string>> groups)
    {
        var members = groups.TryGetValue(name, out var existing) ? existing : groups[name] = [];
        if (Get(group, "hosts") is YamlMappingNode hosts)
        {
            foreach (var (key, value) in hosts.Children)
            {
                var host = ((YamlScalarNode)key).Value!;
                members.Add(host);
                var vars = hostVars.TryGetValue(host, out var v) ? v : hostVars[host] = new Dictionary<string, string>(StringComparer.Ordinal);
                if (value is YamlMappingNode map)
                {
                    foreach (var (k, val) in map.Children)
                    {
                        if (val is YamlScalarNode scalar)
                            vars[((YamlScalarNode)k).Value!] = scalar.Value ?? "";
                    }
                }
            }
        }
        if (Get(group, "children") is YamlMappingNode children)
        {
            foreach (var (key, value) in children.Children)
                CollectGroup(((YamlScalarNode)key).Value!, value as YamlMappingNode ?? new YamlMappingNode(), hostVars, groups);
        }
    }

    private static YamlNode? Get(YamlNode? node, string key) =>
        node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    public static Inventory ParseIni(string text, string source, string cluster)
    {
        var hostVars = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        var groups = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var childGroups = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        string? section = null;
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
            if (section is null)
                throw new DrException($"{source}:{lineNo}: host line outside any [group]", FailureKind.Usage);
            var words = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (section.EndsWith(":vars", StringComparison.Ordinal))
                continue; // group variables: not needed to find masters
            if (section.EndsWith(":children", StringComparison.Ordinal))
            {
                var parent = section[..^":children".Length];
                (childGroups.TryGetValue(parent, out var c) ? c : childGroups[parent] = []).Add(words[0]);
                continue;
            }
            var host = words[0];
            (groups.TryGetValue(section, out var g) ? g : groups[section] = []).Add(host);
            var vars = hostVars.TryGetValue(host, out var v) ? v : hostVars[host] = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var word in words.Skip(1))
            {
                var eq = word.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                    throw new DrException($"{source}:{lineNo}: '{word}' is not key=value", FailureKind.Usage);
                vars[word[..eq]] = word[(eq + 1)..].Trim('"', '\'');
            }
        }
        // A group's members include those of its child groups.
        foreach (var (parent, children) in childGroups)
        {
            var members = groups.TryGetValue(parent, out var g) ? g : groups[parent] = [];
            foreach (var child in children)
                members.AddRange(groups.GetValueOrDefault(child) ?? []);
        }
        return Build(hostVars, groups, source, cluster);
    }

    private static Inventory Build(Dictionary<string, Dictionary<string, string>> hostVars, Dictionary<string, List<string>> groups, string source, string cluster)
    {
        var group = MasterGroups.FirstOrDefault(g => groups.TryGetValue(g, out var members) && members.Count > 0)
            ?? throw new DrException($"{source}: no host in an [etcd] or [kube_control_plane] group", FailureKind.Usage);
        var masters = new List<MasterHost>();
        foreach (var host in groups[group].Distinct())
        {
            var vars = hostVars.GetValueOrDefault(host) ?? [];
            var address = vars.GetValueOrDefault("ansible_host") ?? vars.GetValueOrDefault("access_ip") ?? vars.GetValueOrDefault("ip") ?? host;
            int? port = vars.TryGetValue("ansible_port", out var p) && int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
            masters.Add(new MasterHost(host, address, port, vars.GetValueOrDefault("ansible_user")));
        }
        var first = hostVars.GetValueOrDefault(groups[group][0]) ?? [];
        var ssh = new SshSettings(IdentityFile: first.GetValueOrDefault("ansible_ssh_private_key_file"));
        return new Inventory(cluster, ssh, masters);
    }
}
