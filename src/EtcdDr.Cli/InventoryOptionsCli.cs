using System.CommandLine;
using EtcdDr.Etcd;
using EtcdDr.Remote;

namespace EtcdDr.Cli;

/// <summary>
/// -i INVENTORY and its SSH flags, shared by the verbs that reach masters over SSH. With -i, etcd
/// endpoints and certificates come from the masters (discovery, certificates read into memory),
/// so --endpoints/--cacert/--cert/--key are not needed.
/// </summary>
public sealed class InventoryOptionsCli
{
    public Option<string?> Inventory { get; } = new("--inventory", "-i") { Description = "etcd-dr.yaml, or Kubespray's hosts.yaml / INI inventory" };
    public Option<string[]> Hosts { get; } = new("--host") { Description = "only these masters (repeatable; default: all)" };
    public Option<bool> AcceptNewHostKeys { get; } = new("--accept-new-host-keys") { Description = "trust host keys seen for the first time (a changed key is always refused)" };
    public Option<bool> Tunnel { get; } = new("--tunnel") { Description = "reach etcd through SSH tunnels even when port 2379 is reachable directly" };
    public Option<string?> ClusterName { get; } = new("--cluster-name") { Description = "cluster name for a Kubespray inventory (default: its folder's name)" };

    public InventoryOptionsCli() =>
        Hosts.CompletionSources.Add(CompletionCommand.Quietly(context =>
            context.ParseResult.GetValue(Inventory) is { } path
                ? InventoryLoader.Load(path, context.ParseResult.GetValue(ClusterName)).Masters.Select(m => m.Name)
                : []));

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Inventory, Hosts, AcceptNewHostKeys, Tunnel, ClusterName })
            command.Options.Add(option);
    }

    public bool Given(ParseResult parse) => parse.GetValue(Inventory) is not null;

    public RemoteCluster Open(ParseResult parse)
    {
        var inventory = InventoryLoader.Load(parse.GetValue(Inventory)!, parse.GetValue(ClusterName));
        return new RemoteCluster(inventory, new SshOptions(parse.GetValue(AcceptNewHostKeys)), parse.GetValue(Hosts));
    }
}

/// <summary>etcd access for a verb: direct flags, or through an inventory's masters.</summary>
public sealed class EtcdAccess : IAsyncDisposable
{
    private readonly RemoteCluster? _remote;

    private EtcdAccess(EtcdConnectionOptions options, RemoteCluster? remote)
    {
        Options = options;
        _remote = remote;
    }

    public EtcdConnectionOptions Options { get; }

    public string? Cluster => _remote?.Inventory.Cluster;

    /// <summary>The inventory's backup.recipients: snapshots are encrypted to them by default.</summary>
    public IReadOnlyList<string> Recipients => _remote?.Inventory.Backup?.Recipients ?? [];

    public static async Task<EtcdAccess> OpenAsync(ParseResult parse, EtcdConnectionOptionsCli direct, InventoryOptionsCli inventory, TextWriter log, CancellationToken ct)
    {
        if (!inventory.Given(parse))
            return new EtcdAccess(direct.Read(parse), null);
        var remote = inventory.Open(parse);
        try
        {
            var discovered = await remote.DiscoverAsync(ct).ConfigureAwait(false);
            foreach (var failed in discovered.Where(d => d.Error is not null))
                await log.WriteLineAsync($"etcd-dr: {failed.Error!.Message}").ConfigureAwait(false);
            var options = await remote.EtcdConnectionAsync(discovered, parse.GetValue(inventory.Tunnel), log, ct).ConfigureAwait(false);
            return new EtcdAccess(options, remote);
        }
        catch
        {
            await remote.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_remote is not null)
            await _remote.DisposeAsync().ConfigureAwait(false);
    }
}
