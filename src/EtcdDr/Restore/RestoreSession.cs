using EtcdDr.Etcd;
using EtcdDr.Remote;
using EtcdDr.Topology;

namespace EtcdDr.Restore;

/// <summary>
/// The masters of one restore: SSH to each (a replaced master at its new address), what discovery read
/// there, one runtime per master, and etcd access. A resumed run acts on the topology its journal
/// holds, and only compares it with what discovery finds now.
/// </summary>
public sealed class RestoreSession : IAsyncDisposable
{
    private readonly RemoteCluster _remote;
    private readonly EtcdClient? _client;

    private RestoreSession(RemoteCluster remote, IReadOnlyList<DiscoveredMaster> discovered, IReadOnlyList<MasterTopology> topology,
        IReadOnlyDictionary<string, IEtcdRuntime> runtimes, EtcdClient? client)
    {
        _remote = remote;
        Discovered = discovered;
        Topology = topology;
        Runtimes = runtimes;
        _client = client;
        Cluster = client is null ? new UnreachableCluster() : new EtcdRestoreCluster(client);
    }

    public IReadOnlyList<DiscoveredMaster> Discovered { get; }

    /// <summary>What the plan is made from (inventory order): fresh discovery, or the journal's.</summary>
    public IReadOnlyList<MasterTopology> Topology { get; }

    public IReadOnlyDictionary<string, IEtcdRuntime> Runtimes { get; }

    public IRestoreCluster Cluster { get; }

    /// <summary>Host -> the inventory's etcdClientUrl where it gives one (etcd access and health checks go there).</summary>
    public IReadOnlyDictionary<string, string> EndpointUrls =>
        Discovered.Where(d => d.Master.EtcdClientUrl is not null).ToDictionary(d => d.Master.Name, d => d.Master.EtcdClientUrl!, StringComparer.Ordinal);

    public string ClusterName => _remote.Inventory.Cluster;

    /// <summary>The inventory with each --replace NAME=ADDRESS applied: SSH and etcd go to the new host.</summary>
    public static Inventory WithReplacements(Inventory inventory, IReadOnlyDictionary<string, string> replacements)
    {
        foreach (var name in replacements.Keys)
            inventory.Master(name); // a name not in the inventory is a usage error, said here
        return inventory with
        {
            Masters = inventory.Masters.Select(m => replacements.TryGetValue(m.Name, out var address) ? m with { Address = address, EtcdClientUrl = null } : m).ToList(),
        };
    }

    /// <param name="journaled">Resume: the topology the journal holds; discovery is then only compared with it.</param>
    public static async Task<RestoreSession> OpenAsync(Inventory inventory, SshOptions ssh, EtcdRuntimeFactory runtimes, bool tunnel,
        IReadOnlyList<MasterTopology>? journaled, TextWriter log, CancellationToken ct)
    {
        var remote = new RemoteCluster(inventory, ssh);
        try
        {
            var discovered = await remote.DiscoverAsync(ct).ConfigureAwait(false);
            discovered = await WithHandParkedAsync(discovered, remote, ct).ConfigureAwait(false);
            IReadOnlyList<MasterTopology> topology;
            if (journaled is null)
            {
                var failed = discovered.Where(d => d.Error is not null).ToList();
                if (failed.Count > 0)
                    throw new DrException(Failures.Summarize("preflight: not every master can be read, so nothing was changed (a lost master needs --replace NAME=NEW_ADDRESS)",
                        failed.Select(d => d.Error!.Message).ToList()), failed.Max(d => d.Error!.Kind == FailureKind.Usage ? FailureKind.Usage : FailureKind.Unreachable));
                topology = discovered.Select(d => d.Topology!).ToList();
                topology = await WithConfigTextAsync(topology, remote, runtimes, ct).ConfigureAwait(false);
            }
            else
            {
                CheckMatches(journaled, discovered);
                topology = journaled;
            }
            var byHost = topology.ToDictionary(t => t.Host, t => runtimes(t, remote.Host(t.Host)), StringComparer.Ordinal);
            EtcdClient? client = null;
            try
            {
                var options = await remote.EtcdConnectionAsync(topology.Select(t => new DiscoveredMaster(inventory.Master(t.Host), t, null)).ToList(), tunnel, log, ct).ConfigureAwait(false);
                client = new EtcdClient(options with { CallTimeout = TimeSpan.FromSeconds(5), DialTimeout = TimeSpan.FromSeconds(3) });
            }
            catch (DrException ex)
            {
                await log.WriteLineAsync($"etcd-dr: no etcd access ({Failures.OneLine(ex.Message)}); every member counts as down").ConfigureAwait(false);
            }
            return new RestoreSession(remote, discovered, topology, byHost, client);
        }
        catch
        {
            await remote.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A kubeadm master that failed discovery because its manifest was parked by hand is read from there.</summary>
    private static async Task<IReadOnlyList<DiscoveredMaster>> WithHandParkedAsync(IReadOnlyList<DiscoveredMaster> discovered, RemoteCluster remote, CancellationToken ct)
    {
        var result = new List<DiscoveredMaster>();
        foreach (var d in discovered)
        {
            MasterTopology? parked = null;
            if (d.Error is { Kind: FailureKind.Unreachable } && d.Error is not RemoteException)
            {
                try
                {
                    parked = await HandParkedManifest.DiscoverAsync(remote.Host(d.Master.Name), ct).ConfigureAwait(false);
                }
                catch (DrException)
                {
                    // the original error stands
                }
            }
            result.Add(parked is null ? d : d with { Topology = parked, Error = null });
        }
        return result;
    }

    /// <summary>The config file's text as it is now, so the plan shows each edit from what to what and the journal keeps it.</summary>
    private static async Task<IReadOnlyList<MasterTopology>> WithConfigTextAsync(IReadOnlyList<MasterTopology> topology, RemoteCluster remote, EtcdRuntimeFactory runtimes, CancellationToken ct)
    {
        var result = new List<MasterTopology>();
        foreach (var t in topology)
            result.Add(t.ConfigText is null ? t with { ConfigText = await runtimes(t, remote.Host(t.Host)).ReadConfigAsync(ct).ConfigureAwait(false) } : t);
        return result;
    }

    /// <summary>
    /// Resume refuses a journal made for other masters: same names, and where a master can be read now
    /// (a stopped kubeadm master cannot), the same flavor, member, data dir and config file.
    /// </summary>
    public static void CheckMatches(IReadOnlyList<MasterTopology> journaled, IReadOnlyList<DiscoveredMaster> discovered)
    {
        var planned = journaled.Select(t => t.Host).Order(StringComparer.Ordinal).ToList();
        var now = discovered.Select(d => d.Master.Name).Order(StringComparer.Ordinal).ToList();
        if (!planned.SequenceEqual(now, StringComparer.Ordinal))
            throw new DrException($"the journal's plan is for masters [{string.Join(", ", planned)}], the inventory names [{string.Join(", ", now)}]; resume refuses a plan made for other masters", FailureKind.Refused);
        var problems = new List<string>();
        foreach (var d in discovered.Where(d => d.Topology is not null))
        {
            var was = journaled.First(t => t.Host == d.Master.Name);
            var isNow = d.Topology!;
            if (was.Flavor != isNow.Flavor || was.MemberName != isNow.MemberName || was.DataDir != isNow.DataDir || was.ConfigFile != isNow.ConfigFile)
                problems.Add($"{d.Master.Name}: planned {was.Flavor} member {was.MemberName} at {was.DataDir} ({was.ConfigFile}), found {isNow.Flavor} member {isNow.MemberName} at {isNow.DataDir} ({isNow.ConfigFile})");
        }
        if (problems.Count > 0)
            throw new DrException(Failures.Summarize("the journal's plan does not match the masters found; resume refuses", problems), FailureKind.Refused);
    }

    public async ValueTask DisposeAsync()
    {
        _client?.Dispose();
        await _remote.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>No client certificate could be read: every call fails, every endpoint is down.</summary>
    private sealed class UnreachableCluster : IRestoreCluster
    {
        private static DrException Down() => new("no etcd access: no client certificate could be read from any master", FailureKind.Unreachable);
        public Task<IReadOnlyList<ClusterMember>> MembersAsync(CancellationToken ct) => throw Down();
        public Task<ClusterMember> AddLearnerAsync(string peerUrl, CancellationToken ct) => throw Down();
        public Task RemoveAsync(ulong id, CancellationToken ct) => throw Down();
        public Task UpdatePeerUrlAsync(ulong id, string peerUrl, CancellationToken ct) => throw Down();
        public Task<bool> TryPromoteAsync(ulong id, CancellationToken ct) => throw Down();

        public Task<IReadOnlyList<EndpointHealth>> HealthAsync(IReadOnlyList<string> clientUrls, CancellationToken ct) =>
            Task.FromResult<IReadOnlyList<EndpointHealth>>(clientUrls.Select(u => new EndpointHealth(u, false, false, 0, "no etcd access")).ToList());
    }
}
