using EtcdDr.Etcd;

namespace EtcdDr.Drill;

/// <summary>
/// <see cref="ICanaryCluster"/> over <see cref="EtcdClient"/>. The endpoints can be swapped while a
/// drill runs (a master replaced on a new address), so the probe and the writer always talk to the
/// cluster as it is now.
/// </summary>
public sealed class EtcdCanaryCluster(Func<EtcdConnectionOptions> connection, int expectedMembers) : ICanaryCluster, IDisposable
{
    private EtcdClient _client = new(connection());
    private readonly Lock _lock = new();

    public int ExpectedMembers { get; private set; } = expectedMembers;

    /// <summary>Reconnects with the connection the factory gives now (after a master moved).</summary>
    public void Reconnect()
    {
        EtcdClient old;
        lock (_lock)
        {
            old = _client;
            _client = new EtcdClient(connection());
        }
        // In-flight calls on the old client finish or fail on their own deadlines.
        _ = Task.Delay(TimeSpan.FromSeconds(30)).ContinueWith(_ => old.Dispose(), TaskScheduler.Default);
    }

    private EtcdClient Client
    {
        get
        {
            lock (_lock)
                return _client;
        }
    }

    public async Task PutAsync(string key, string value, CancellationToken ct) =>
        await Client.PutAsync(key, value, ct).ConfigureAwait(false);

    public async Task<string?> GetAsync(string key, CancellationToken ct) =>
        (await Client.GetAsync(key, ct).ConfigureAwait(false))?.Value.ToStringUtf8();

    public async Task<IReadOnlyList<KeyValuePair<string, string>>> GetPrefixAsync(string prefix, CancellationToken ct) =>
        [.. (await Client.GetPrefixAsync(prefix, ct).ConfigureAwait(false)).Select(kv => KeyValuePair.Create(kv.Key.ToStringUtf8(), kv.Value.ToStringUtf8()))];

    public async Task<ClusterHealth> HealthAsync(CancellationToken ct)
    {
        var statuses = await Client.StatusAllAsync(ct).ConfigureAwait(false);
        var healthy = statuses.Count(s => s.Healthy && s.Status!.Leader != 0);
        var detail = string.Join("; ", statuses.Select(s => $"{EtcdConnectionOptions.Name(s.Endpoint)}: {(s.Error?.Message ?? (s.Healthy && s.Status!.Leader != 0 ? "ok" : "no leader or errors"))}"));
        if (healthy > 0)
        {
            // Endpoints answering is not enough: a member may answer on an address the cluster no
            // longer lists, or still be a learner. Count only started voting members.
            var members = (await Client.MemberListAsync(ct).ConfigureAwait(false)).Members;
            var voters = members.Count(m => !m.IsLearner && m.Name.Length > 0);
            if (voters < healthy)
                detail += $"; only {voters} started voting members in the member list";
            healthy = Math.Min(healthy, voters);
        }
        return new ClusterHealth(healthy, ExpectedMembers, detail);
    }

    public void Dispose() => Client.Dispose();
}
