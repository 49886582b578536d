namespace EtcdDr.Restore;

/// <summary>A member as etcd's member list shows it.</summary>
public sealed record ClusterMember(ulong Id, string Name, IReadOnlyList<string> PeerUrls, IReadOnlyList<string> ClientUrls, bool IsLearner);

/// <summary>One endpoint's Status, or why there was none.</summary>
public sealed record EndpointHealth(string ClientUrl, bool Healthy, bool IsLeader, long Revision, string? Error);

/// <summary>
/// The etcd API calls a restore makes (member list, add, remove, update, promote, status), so steps are
/// unit-tested against an in-memory cluster and run against <see cref="EtcdRestoreCluster"/>.
/// </summary>
public interface IRestoreCluster
{
    Task<IReadOnlyList<ClusterMember>> MembersAsync(CancellationToken ct);

    /// <summary>member add --learner; returns the new member (its name is empty until it starts).</summary>
    Task<ClusterMember> AddLearnerAsync(string peerUrl, CancellationToken ct);

    Task RemoveAsync(ulong id, CancellationToken ct);

    Task UpdatePeerUrlAsync(ulong id, string peerUrl, CancellationToken ct);

    /// <summary>member promote; false while the learner has not caught up with the leader (etcd refuses then).</summary>
    Task<bool> TryPromoteAsync(ulong id, CancellationToken ct);

    /// <summary>Status of each client URL; an unreachable one is unhealthy with its error.</summary>
    Task<IReadOnlyList<EndpointHealth>> HealthAsync(IReadOnlyList<string> clientUrls, CancellationToken ct);
}
