namespace EtcdDr.Drill;

/// <summary>How healthy the cluster looks to a client right now.</summary>
/// <param name="Healthy">Members that answer Status without errors and know a leader.</param>
/// <param name="Expected">Members the cluster should have (the inventory's masters).</param>
public sealed record ClusterHealth(int Healthy, int Expected, string Detail)
{
    public bool Quorum => Healthy > Expected / 2;

    public bool Whole => Healthy >= Expected;
}

/// <summary>
/// What canaries and the recovery probe need from etcd: a put, a read, and per-member health. The
/// real one is <see cref="EtcdCanaryCluster"/>; unit tests script one.
/// </summary>
public interface ICanaryCluster
{
    Task PutAsync(string key, string value, CancellationToken ct);

    /// <summary>The value of one key, null when it is absent.</summary>
    Task<string?> GetAsync(string key, CancellationToken ct);

    /// <summary>Every key under the prefix with its value, in key order.</summary>
    Task<IReadOnlyList<KeyValuePair<string, string>>> GetPrefixAsync(string prefix, CancellationToken ct);

    Task<ClusterHealth> HealthAsync(CancellationToken ct);
}
