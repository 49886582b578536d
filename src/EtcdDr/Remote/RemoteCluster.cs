using System.Net;
using System.Net.Sockets;
using EtcdDr.Etcd;
using EtcdDr.Topology;

namespace EtcdDr.Remote;

/// <summary>One master's discovery outcome: its topology, or why it could not be read.</summary>
public sealed record DiscoveredMaster(MasterHost Master, MasterTopology? Topology, DrException? Error);

/// <summary>
/// The masters of an inventory over SSH: discovery, and etcd access from the operator's machine.
/// Client certificates are read over SSH into memory and never written here; an endpoint that
/// cannot be dialled directly is reached through an SSH tunnel over the master's own connection.
/// </summary>
public sealed class RemoteCluster : IAsyncDisposable
{
    private readonly Dictionary<string, OpenSshHost> _hosts;

    public Inventory Inventory { get; }

    public RemoteCluster(Inventory inventory, SshOptions options, IReadOnlyCollection<string>? only = null)
    {
        Inventory = inventory;
        var masters = only is { Count: > 0 } ? only.Select(inventory.Master).ToList() : inventory.Masters.ToList();
        _hosts = masters.ToDictionary(m => m.Name, m => new OpenSshHost(m, inventory.Ssh, options), StringComparer.Ordinal);
    }

    public IReadOnlyCollection<OpenSshHost> Hosts => _hosts.Values;

    public OpenSshHost Host(string name) => _hosts[name];

    public async Task<IReadOnlyList<DiscoveredMaster>> DiscoverAsync(CancellationToken ct)
    {
        var tasks = _hosts.Values.Select(async host =>
        {
            var master = Inventory.Master(host.Name);
            try
            {
                return new DiscoveredMaster(master, await TopologyDetector.DetectAsync(host, ct).ConfigureAwait(false), null);
            }
            catch (DrException ex)
            {
                return new DiscoveredMaster(master, null, ex);
            }
        });
        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    /// <summary>
    /// etcd access for the discovered members: every member's first client URL, TLS material read
    /// from the first master that has it, and tunnels for endpoints not dialable from here (or for
    /// all of them with <paramref name="forceTunnel"/>).
    /// </summary>
    public async Task<EtcdConnectionOptions> EtcdConnectionAsync(IReadOnlyList<DiscoveredMaster> discovered, bool forceTunnel, TextWriter log, CancellationToken ct)
    {
        var usable = discovered.Where(d => d.Topology is { ClientUrls.Count: > 0 }).ToList();
        foreach (var d in discovered.Where(d => d.Topology is { ClientUrls.Count: 0 }))
            await log.WriteLineAsync($"etcd-dr: {d.Master.Name}: {d.Topology!.ConfigFile} names no client URL; leaving this master out").ConfigureAwait(false);
        if (usable.Count == 0)
            throw new DrException(Failures.Summarize("no master could be discovered", discovered.Select(d => d.Error?.Message ?? $"{d.Master.Name}: no client URL").ToList()), FailureKind.Unreachable);

        var tls = await ReadTlsAsync(usable, ct).ConfigureAwait(false);
        var endpoints = new List<Uri>();
        var via = new Dictionary<string, DnsEndPoint>(StringComparer.OrdinalIgnoreCase);
        foreach (var d in usable)
        {
            var url = new Uri(d.Topology!.ClientUrls[0]);
            endpoints.Add(url);
            if (forceTunnel || !await DialableAsync(url, ct).ConfigureAwait(false))
            {
                var local = await _hosts[d.Master.Name].ForwardAsync(url.Host, url.Port, ct).ConfigureAwait(false);
                via[$"{url.Host}:{url.Port}"] = local;
                await log.WriteLineAsync($"{d.Master.Name}: {url.Host}:{url.Port} is reached through an SSH tunnel ({local.Host}:{local.Port})").ConfigureAwait(false);
            }
        }
        return new EtcdConnectionOptions(endpoints, tls, ConnectVia: via);
    }

    private async Task<EtcdTls?> ReadTlsAsync(List<DiscoveredMaster> usable, CancellationToken ct)
    {
        if (usable.All(d => !d.Topology!.ClientUrls[0].StartsWith("https", StringComparison.Ordinal)))
            return null;
        var problems = new List<string>();
        foreach (var d in usable)
        {
            var certs = d.Topology!.Certs;
            if (certs.TrustedCa is null || certs.ClientCert is null || certs.ClientKey is null)
            {
                problems.Add($"{d.Master.Name}: no client certificate known for this flavor");
                continue;
            }
            try
            {
                var host = _hosts[d.Master.Name];
                return new EtcdTls(
                    await host.ReadFileAsync(certs.TrustedCa, privileged: true, ct).ConfigureAwait(false),
                    await host.ReadFileAsync(certs.ClientCert, privileged: true, ct).ConfigureAwait(false),
                    await host.ReadFileAsync(certs.ClientKey, privileged: true, ct).ConfigureAwait(false));
            }
            catch (RemoteException ex)
            {
                problems.Add(ex.Message);
            }
        }
        throw new DrException(Failures.Summarize("could not read an etcd client certificate from any master", problems), FailureKind.Unreachable);
    }

    private static async Task<bool> DialableAsync(Uri url, CancellationToken ct)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await socket.ConnectAsync(url.Host, url.Port, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts.Values)
            await host.DisposeAsync().ConfigureAwait(false);
    }
}
