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
    private readonly Dictionary<string, IRemoteHost> _hosts;

    public Inventory Inventory { get; }

    /// <summary>The masters over the SSH transport the inventory asks for (ssh.client; the system OpenSSH when installed).</summary>
    public RemoteCluster(Inventory inventory, SshOptions options, IReadOnlyCollection<string>? only = null)
        : this(inventory, new SshHostFactory(options), only)
    {
    }

    /// <summary>The masters through <paramref name="factory"/>'s transport (recording fakes in tests).</summary>
    public RemoteCluster(Inventory inventory, IRemoteHostFactory factory, IReadOnlyCollection<string>? only = null)
    {
        Inventory = inventory;
        var masters = only is { Count: > 0 } ? only.Select(inventory.Master).ToList() : inventory.Masters.ToList();
        _hosts = masters.ToDictionary(m => m.Name, m => factory.Create(m, inventory.Ssh), StringComparer.Ordinal);
    }

    public IReadOnlyCollection<IRemoteHost> Hosts => _hosts.Values;

    public IRemoteHost Host(string name) => _hosts[name];

    public Task<IReadOnlyList<DiscoveredMaster>> DiscoverAsync(CancellationToken ct) =>
        DiscoverAsync(_hosts.Values.Select(h => (Inventory.Master(h.Name), h)).ToList(), ct);

    /// <summary>
    /// Discovers every master at once. Whatever goes wrong on one master (its SSH, a hung command,
    /// a file it cannot parse) is that master's error and the others go on: an operator in a
    /// disaster needs the masters that answer. Only cancellation stops them all.
    /// </summary>
    public static async Task<IReadOnlyList<DiscoveredMaster>> DiscoverAsync(IReadOnlyList<(MasterHost Master, IRemoteHost Host)> hosts, CancellationToken ct)
    {
        var tasks = hosts.Select(async pair =>
        {
            var (master, host) = pair;
            try
            {
                return new DiscoveredMaster(master, await TopologyDetector.DetectAsync(host, ct).ConfigureAwait(false), null);
            }
            catch (DrException ex)
            {
                return new DiscoveredMaster(master, null, ex);
            }
            catch (TimeoutException ex)
            {
                return new DiscoveredMaster(master, null, new DrException($"{master.Name}: {FirstLine(ex.Message)}", FailureKind.Unreachable, ex));
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                return new DiscoveredMaster(master, null, new DrException($"{master.Name}: unexpected {ex.GetType().Name} during discovery: {FirstLine(ex.Message)}", FailureKind.General, ex));
            }
        });
        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    /// <summary>The URL to reach a discovered member at: the inventory's etcdClientUrl when given
    /// (a NAT, a load balancer, a name the certificate carries), else the first advertised client URL.</summary>
    public static Uri? ClientUrl(DiscoveredMaster d)
    {
        if (d.Topology is null)
            return null;
        if (d.Master.EtcdClientUrl is { } configured)
        {
            return Uri.TryCreate(configured, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                ? uri
                : throw new DrException($"{d.Master.Name}: etcdClientUrl '{configured}' is not an http:// or https:// URL", FailureKind.Usage);
        }
        return d.Topology.ClientUrls.Count > 0 ? new Uri(d.Topology.ClientUrls[0]) : null;
    }

    /// <summary>
    /// etcd access for the discovered members: every member's <see cref="ClientUrl"/>, TLS material read
    /// from the first master that has it, and tunnels for endpoints not dialable from here (or for
    /// all of them with <paramref name="forceTunnel"/>).
    /// </summary>
    public async Task<EtcdConnectionOptions> EtcdConnectionAsync(IReadOnlyList<DiscoveredMaster> discovered, bool forceTunnel, TextWriter log, CancellationToken ct)
    {
        var urls = discovered.Select(d => (Master: d, Url: ClientUrl(d))).ToList();
        var usable = urls.Where(u => u.Url is not null).Select(u => u.Master).ToList();
        foreach (var d in urls.Where(u => u.Url is null && u.Master.Topology is not null).Select(u => u.Master))
            await log.WriteLineAsync($"etcd-dr: {d.Master.Name}: {d.Topology!.ConfigFile} names no client URL; leaving this master out").ConfigureAwait(false);
        if (usable.Count == 0)
            throw new DrException(Failures.Summarize("no master could be discovered", discovered.Select(d => d.Error?.Message ?? $"{d.Master.Name}: no client URL").ToList()), FailureKind.Unreachable);

        var tls = await ReadTlsAsync(usable, ct).ConfigureAwait(false);
        var endpoints = new List<Uri>();
        var via = new Dictionary<string, DnsEndPoint>(StringComparer.OrdinalIgnoreCase);
        foreach (var d in usable)
        {
            var url = ClientUrl(d)!;
            endpoints.Add(url);
            if (forceTunnel || !await DialableAsync(url, ct).ConfigureAwait(false))
            {
                var local = _hosts[d.Master.Name] is ITunnelingHost tunneling
                    ? await tunneling.ForwardAsync(url.Host, url.Port, ct).ConfigureAwait(false)
                    : throw new DrException($"{d.Master.Name}: {url.Host}:{url.Port} cannot be dialled from here and this master's transport opens no SSH tunnels", FailureKind.Unreachable);
                via[$"{url.Host}:{url.Port}"] = local;
                await log.WriteLineAsync($"{d.Master.Name}: {url.Host}:{url.Port} is reached through an SSH tunnel ({local.Host}:{local.Port})").ConfigureAwait(false);
            }
        }
        return new EtcdConnectionOptions(endpoints, tls, ConnectVia: via);
    }

    private async Task<EtcdTls?> ReadTlsAsync(List<DiscoveredMaster> usable, CancellationToken ct)
    {
        if (usable.All(d => ClientUrl(d)!.Scheme != Uri.UriSchemeHttps))
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
