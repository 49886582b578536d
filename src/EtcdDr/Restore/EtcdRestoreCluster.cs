using EtcdDr.Etcd;

namespace EtcdDr.Restore;

/// <summary><see cref="IRestoreCluster"/> over the etcd client (TLS and tunnels as RemoteCluster set them up).</summary>
public sealed class EtcdRestoreCluster(EtcdClient client) : IRestoreCluster
{
    public async Task<IReadOnlyList<ClusterMember>> MembersAsync(CancellationToken ct)
    {
        var list = await client.MemberListAsync(ct).ConfigureAwait(false);
        return list.Members.Select(m => new ClusterMember(m.ID, m.Name, m.PeerURLs.ToList(), m.ClientURLs.ToList(), m.IsLearner)).ToList();
    }

    public async Task<ClusterMember> AddLearnerAsync(string peerUrl, CancellationToken ct)
    {
        var added = await client.MemberAddAsync([peerUrl], isLearner: true, ct).ConfigureAwait(false);
        var m = added.Member;
        return new ClusterMember(m.ID, m.Name, m.PeerURLs.ToList(), m.ClientURLs.ToList(), m.IsLearner);
    }

    public async Task RemoveAsync(ulong id, CancellationToken ct) => await client.MemberRemoveAsync(id, ct).ConfigureAwait(false);

    public async Task UpdatePeerUrlAsync(ulong id, string peerUrl, CancellationToken ct) => await client.MemberUpdateAsync(id, [peerUrl], ct).ConfigureAwait(false);

    public async Task<bool> TryPromoteAsync(ulong id, CancellationToken ct)
    {
        try
        {
            await client.MemberPromoteAsync(id, ct).ConfigureAwait(false);
            return true;
        }
        catch (GrpcException ex) when (ex.Message.Contains("in sync with leader", StringComparison.OrdinalIgnoreCase)
                                       || ex.Message.Contains("not ready", StringComparison.OrdinalIgnoreCase))
        {
            // "can only promote a learner member which is in sync with leader": not yet, ask again.
            return false;
        }
    }

    public async Task<IReadOnlyList<EndpointHealth>> HealthAsync(IReadOnlyList<string> clientUrls, CancellationToken ct)
    {
        var tasks = clientUrls.Select(async url =>
        {
            try
            {
                var s = await client.StatusAsync(new Uri(url), ct).ConfigureAwait(false);
                return new EndpointHealth(url, s.Errors.Count == 0 && s.Leader != 0, s.Leader == s.Header.MemberId, s.Header.Revision,
                    s.Errors.Count > 0 ? string.Join("; ", s.Errors) : s.Leader == 0 ? "no leader" : null);
            }
            catch (DrException ex)
            {
                return new EndpointHealth(url, false, false, 0, Failures.OneLine(ex.Message));
            }
        });
        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }
}
