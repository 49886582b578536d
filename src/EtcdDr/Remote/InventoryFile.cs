using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace EtcdDr.Remote;

/// <summary>
/// Reads and writes etcd-dr.yaml. Keys are camelCase:
/// <code>
/// cluster: prod-eu1
/// ssh: { user: ops, identityFile: ~/.ssh/id_ed25519, knownHostsFile: ~/.ssh/known_hosts, sudo: auto }
/// masters:
///   - { name: cp-1, address: 10.0.0.11 }
///   - { name: cp-2, address: 10.0.0.12, port: 2222 }
/// backup: { destinations: [ "s3://backups/etcd?endpoint=https://minio:9000" ], recipients: [ "age1..." ] }
/// </code>
/// </summary>
public static class InventoryFile
{
    public static Inventory Parse(string yaml, string source)
    {
        if (IsEmpty(yaml))
            throw new DrException($"{source}: the file is empty; an inventory names a cluster and its masters (see etcd-dr.yaml in the README)", FailureKind.Usage);
        YamlAliasGuard.Check(yaml, source);
        InventoryDocument doc;
        try
        {
            doc = InventoryDocument.Read(YamlObject.Parse(yaml, "the inventory", InventoryDocument.Keys)
                ?? throw new DrException($"{source}: the file is empty", FailureKind.Usage));
        }
        catch (YamlException ex)
        {
            throw new DrException($"{source}:{ex.Start.Line}:{ex.Start.Column}: {ex.InnerException?.Message ?? ex.Message}", FailureKind.Usage, ex);
        }
        var problems = doc.Problems().ToList();
        if (problems.Count > 0)
        {
            var lines = YamlLines.Of(yaml);
            throw new DrException(string.Join("; ", problems.Select(p => $"{source}:{lines.Line(p.Path)}: {p.Message}")), FailureKind.Usage);
        }
        return doc.ToInventory();
    }

    /// <summary>Nothing but blank lines, comments and document markers.</summary>
    public static bool IsEmpty(string text) =>
        text.Split('\n').Select(l => l.Trim()).All(l => l.Length == 0 || l[0] == '#' || l is "---" or "...");

    public static Inventory Load(string path)
    {
        if (!File.Exists(path))
            throw new DrException($"inventory {path} does not exist", FailureKind.Usage);
        return Parse(File.ReadAllText(path), path);
    }

    public static string Serialize(Inventory inventory)
    {
        var i = inventory;
        var root = Mapping(
            ("cluster", Scalar(i.Cluster)),
            ("ssh", Mapping(("user", Scalar(i.Ssh.User)), ("port", Scalar(i.Ssh.Port)), ("identityFile", Scalar(i.Ssh.IdentityFile)),
                ("knownHostsFile", Scalar(i.Ssh.KnownHostsFile)), ("configFile", Scalar(i.Ssh.ConfigFile)), ("proxyJump", Scalar(i.Ssh.ProxyJump)), ("sudo", Scalar(i.Ssh.Sudo)),
                ("client", Scalar(i.Ssh.Client == "auto" ? null : i.Ssh.Client)))),
            ("masters", new YamlSequenceNode(i.Masters.Select(m => (YamlNode)Mapping(("name", Scalar(m.Name)), ("address", Scalar(m.Address)), ("port", Scalar(m.Port)),
                ("user", Scalar(m.User)), ("etcdClientUrl", Scalar(m.EtcdClientUrl)), ("identityFile", Scalar(m.IdentityFile)))))),
            ("backup", i.Backup is null ? null : Mapping(("destinations", Sequence(i.Backup.Destinations)), ("recipients", Sequence(i.Backup.Recipients)))));
        var text = new StringWriter();
        new YamlStream(new YamlDocument(root)).Save(text, assignAnchors: false);
        // Save ends the document with "...": fine for YAML, noise for people.
        return text.ToString().Replace("...\n", "", StringComparison.Ordinal).TrimEnd() + "\n";
    }

    // Null fields are left out, as the reflection serializer did with OmitNull.
    private static YamlMappingNode Mapping(params (string Key, YamlNode? Value)[] fields) =>
        new(fields.Where(f => f.Value is not null).Select(f => new KeyValuePair<YamlNode, YamlNode>(new YamlScalarNode(f.Key), f.Value!)));

    private static YamlScalarNode? Scalar(string? text) => text is null ? null : new YamlScalarNode(text);

    private static YamlScalarNode? Scalar(int? number) => number is null ? null : new YamlScalarNode(number.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static YamlSequenceNode? Sequence(IEnumerable<string>? items) => items is null ? null : new(items.Select(x => (YamlNode)new YamlScalarNode(x)));

    /// <summary>The YAML shape, read field by field; validated into <see cref="Inventory"/>.</summary>
    private sealed class InventoryDocument
    {
        public static readonly string[] Keys = ["cluster", "ssh", "masters", "backup"];

        public static InventoryDocument Read(YamlObject y) => new()
        {
            Cluster = y.String("cluster"),
            Ssh = y.Object("ssh", "user", "port", "identityFile", "knownHostsFile", "configFile", "proxyJump", "sudo", "client") is { } ssh ? new SshDocument
            {
                User = ssh.String("user"), Port = ssh.String("port"), IdentityFile = ssh.String("identityFile"), KnownHostsFile = ssh.String("knownHostsFile"),
                ConfigFile = ssh.String("configFile"), ProxyJump = ssh.String("proxyJump"), Sudo = ssh.String("sudo"), Client = ssh.String("client"),
            } : null,
            Masters = y.Objects("masters", "name", "address", "port", "user", "etcdClientUrl", "identityFile")?.Select(m => new MasterDocument
            {
                Name = m.String("name"), Address = m.String("address"), Port = m.String("port"), User = m.String("user"),
                EtcdClientUrl = m.String("etcdClientUrl"), IdentityFile = m.String("identityFile"),
            }).ToList(),
            Backup = y.Object("backup", "destinations", "recipients") is { } backup ? new BackupDocument
            {
                Destinations = backup.Strings("destinations"), Recipients = backup.Strings("recipients"),
            } : null,
        };

        public string? Cluster { get; set; }
        public SshDocument? Ssh { get; set; }
        public List<MasterDocument>? Masters { get; set; }
        public BackupDocument? Backup { get; set; }

        /// <summary>What is wrong, each with the YAML path it is about (for its line number).</summary>
        public IEnumerable<(string Path, string Message)> Problems()
        {
            if (string.IsNullOrWhiteSpace(Cluster))
                yield return ("", "'cluster' is missing");
            else if (InventoryValidation.ClusterProblem(Cluster) is { } clusterProblem)
                yield return ("cluster", $"cluster name '{Cluster}' {clusterProblem}");
            if (Masters is null || Masters.Count == 0)
                yield return ("masters", "'masters' lists no host");
            for (var i = 0; i < (Masters?.Count ?? 0); i++)
            {
                var m = Masters![i];
                var at = $"masters.{i}";
                if (string.IsNullOrWhiteSpace(m.Name))
                    yield return (at, $"masters[{i}] has no name");
                if (string.IsNullOrWhiteSpace(m.Address))
                    yield return (at, $"masters[{i}] ({m.Name}) has no address");
                else if (InventoryValidation.AddressProblem(m.Address) is { } addressProblem)
                    yield return ($"{at}.address", $"masters[{i}] ({m.Name}): address '{m.Address}' {addressProblem}");
                if (m.Port is { } port && InventoryValidation.PortProblem(port) is { } portProblem)
                    yield return ($"{at}.port", $"masters[{i}] ({m.Name}): port {portProblem}");
                if (m.User is { } user && InventoryValidation.UserProblem(user) is { } userProblem)
                    yield return ($"{at}.user", $"masters[{i}] ({m.Name}): user '{user}' {userProblem}");
                if (m.EtcdClientUrl is { } url && !IsHttpUrl(url))
                    yield return ($"{at}.etcdClientUrl", $"masters[{i}] ({m.Name}): etcdClientUrl '{url}' is not an http:// or https:// URL");
            }
            foreach (var dup in (Masters ?? []).GroupBy(m => m.Name).Where(g => g.Count() > 1))
                yield return ($"masters.{Masters!.FindLastIndex(m => m.Name == dup.Key)}", $"master name '{dup.Key}' appears {dup.Count()} times");
            if (Ssh?.Port is { } sshPort && InventoryValidation.PortProblem(sshPort) is { } sshPortProblem)
                yield return ("ssh.port", $"ssh.port {sshPortProblem}");
            if (Ssh?.User is { } sshUser && InventoryValidation.UserProblem(sshUser) is { } sshUserProblem)
                yield return ("ssh.user", $"ssh.user '{sshUser}' {sshUserProblem}");
            if (Ssh?.ProxyJump is { } jump && InventoryValidation.ProxyJumpProblem(jump) is { } jumpProblem)
                yield return ("ssh.proxyJump", $"ssh.proxyJump '{jump}': {jumpProblem}");
            if (Ssh?.Sudo is { } sudo && sudo is not ("auto" or "always" or "never"))
                yield return ("ssh.sudo", $"ssh.sudo is '{sudo}'; use auto, always or never");
            if (Ssh?.Client is { } client && client is not ("auto" or "openssh" or "builtin"))
                yield return ("ssh.client", $"ssh.client is '{client}'; use auto, openssh or builtin");
        }

        private static bool IsHttpUrl(string url) =>
            Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";

        public Inventory ToInventory() => new(
            Cluster!,
            new SshSettings(Ssh?.User, Port(Ssh?.Port), Ssh?.IdentityFile, Ssh?.KnownHostsFile, Ssh?.ConfigFile, Ssh?.ProxyJump, Ssh?.Sudo ?? "auto", Ssh?.Client ?? "auto"),
            Masters!.Select(m => new MasterHost(m.Name!, m.Address!, Port(m.Port), m.User, m.EtcdClientUrl, m.IdentityFile)).ToList(),
            Backup is null ? null : new BackupSettings(Backup.Destinations, Backup.Recipients));

        private static int? Port(string? text) => text is null ? null : InventoryValidation.ParsePort(text);
    }

    private sealed class SshDocument
    {
        public string? User { get; set; }
        // Text, range-checked in Problems(): an int here made 99999999999 an "Arithmetic operation
        // resulted in an overflow" with no field name, and -1 pass.
        public string? Port { get; set; }
        public string? IdentityFile { get; set; }
        public string? KnownHostsFile { get; set; }
        public string? ConfigFile { get; set; }
        public string? ProxyJump { get; set; }
        public string? Sudo { get; set; }
        public string? Client { get; set; }
    }

    private sealed class MasterDocument
    {
        public string? Name { get; set; }
        public string? Address { get; set; }
        public string? Port { get; set; }
        public string? User { get; set; }
        public string? EtcdClientUrl { get; set; }
        public string? IdentityFile { get; set; }
    }

    private sealed class BackupDocument
    {
        public List<string>? Destinations { get; set; }
        public List<string>? Recipients { get; set; }
    }
}
