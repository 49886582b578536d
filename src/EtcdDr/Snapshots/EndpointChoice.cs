using EtcdDr.Etcd;

namespace EtcdDr.Snapshots;

/// <summary>
/// Which member to take a snapshot from, best first. A snapshot costs the member disk reads and
/// network, so followers go before the leader; among followers the most caught-up (highest raft
/// index) first; learners and members reporting errors (alarms) last, since their data may lag.
/// Members that did not answer Status are left out: we would have nothing to put in the manifest.
/// </summary>
public static class EndpointChoice
{
    public static IReadOnlyList<EndpointStatus> Order(IEnumerable<EndpointStatus> statuses) =>
        statuses
            .Where(s => s.Status is not null)
            .OrderBy(s => s.Status!.Errors.Count > 0)
            .ThenBy(s => s.Status!.IsLearner)
            .ThenBy(s => s.IsLeader)
            .ThenByDescending(s => s.Status!.RaftIndex)
            .ToList();
}
