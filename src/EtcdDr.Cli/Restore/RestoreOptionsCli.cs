using System.CommandLine;
using EtcdDr.Cli.Snapshot;
using EtcdDr.Restore;

namespace EtcdDr.Cli.Restore;

/// <summary>The arguments `restore plan`, `run`, `resume` and `member` share, parsed into <see cref="RestoreOptions"/>.</summary>
public sealed class RestoreOptionsCli
{
    public InventoryOptionsCli Inventory { get; } = new();
    public SnapshotKeyOptions Keys { get; } = new();
    public Option<string?> Snapshot { get; } = new("--snapshot") { Description = "restore from this snapshot file (plain or age-encrypted; FILE.manifest.json is checked when present)" };
    public Option<string[]> From { get; } = new("--from") { Description = "restore from a store: --from URL [KEY|latest] (default latest verified)", Arity = new ArgumentArity(1, 2), AllowMultipleArgumentsPerToken = true };
    public Option<string?> FromMember { get; } = new("--from-member") { Description = "no snapshot: force-new-cluster from this member's surviving data, then re-add the others (quorum lost, data intact)" };
    public Option<string?> Strategy { get; } = new("--strategy") { Description = "snapshot-all (default: every member from the snapshot, started together) or force-new-cluster (first member, then the others re-added one by one)" };
    public Option<string[]> Replace { get; } = new("--replace") { Description = "NAME=ADDRESS: that master is a new host at ADDRESS (repeatable); its peer/client URLs and the initial cluster follow" };
    public Option<string?> Pki { get; } = new("--pki") { Description = "encrypted PKI archive (pki backup) laid down on each replaced master before etcd starts there" };
    public Option<bool> Force { get; } = new("--force") { Description = "restore even though the quorum is healthy (every write since the snapshot is lost)" };
    public Option<string> StateDir { get; } = new("--state-dir") { Description = "folder for journals, the lock and decrypted snapshot copies (default $ETCD_DR_STATE_DIR or ~/.local/state/etcd-dr)" };
    public Option<OutputFormat> Format { get; } = Output.CreateOption();

    public void AddTo(Command command, bool sources)
    {
        Inventory.AddTo(command);
        Keys.AddDecrypting(command);
        var options = sources
            ? new Option[] { Snapshot, From, FromMember, Strategy, Replace, Pki, Force, StateDir, Format }
            : [Replace, Pki, StateDir, Format];
        foreach (var o in options)
            command.Options.Add(o);
    }

    public RestoreOptions Read(ParseResult parse, CliEnvironment env, string? repairMember = null)
    {
        var inventory = parse.GetValue(Inventory.Inventory) ?? throw new DrException("give the inventory with -i FILE", FailureKind.Usage);
        var from = parse.GetValue(From) ?? [];
        return new RestoreOptions(
            inventory,
            parse.GetValue(Inventory.ClusterName),
            parse.GetValue(Snapshot),
            from.Length > 0 ? from[0] : null,
            from.Length > 1 ? from[1] : null,
            parse.GetValue(FromMember),
            repairMember,
            ParseStrategy(parse.GetValue(Strategy)),
            ParseReplacements(parse.GetValue(Replace) ?? []),
            parse.GetValue(Pki),
            parse.GetValue(Keys.Identity) ?? [],
            parse.GetValue(Force),
            parse.GetValue(Inventory.Tunnel),
            parse.GetValue(Inventory.AcceptNewHostKeys),
            parse.GetValue(StateDir) ?? RestoreFiles.DefaultDirectory(env.GetVariable));
    }

    public static RestoreStrategy? ParseStrategy(string? text) => text switch
    {
        null => null,
        "snapshot-all" => RestoreStrategy.SnapshotAll,
        "force-new-cluster" => RestoreStrategy.ForceNewCluster,
        _ => throw new DrException($"--strategy {text}: use snapshot-all or force-new-cluster", FailureKind.Usage),
    };

    public static IReadOnlyDictionary<string, string> ParseReplacements(IEnumerable<string> values)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var v in values)
        {
            var eq = v.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == v.Length - 1)
                throw new DrException($"--replace {v}: expected NAME=ADDRESS (master-2=10.0.0.22)", FailureKind.Usage);
            if (!result.TryAdd(v[..eq], v[(eq + 1)..]))
                throw new DrException($"--replace names {v[..eq]} twice", FailureKind.Usage);
        }
        return result;
    }

    public Task<Func<Stream, Stream>?> DecryptionAsync(ParseResult parse, CliEnvironment env, CancellationToken ct) => Keys.DecryptionAsync(parse, env, ct);
}
