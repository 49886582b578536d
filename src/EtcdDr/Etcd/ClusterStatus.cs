namespace EtcdDr.Etcd;

public sealed record EndpointReport(
    string Endpoint, string? MemberId, string? Name, string? Version, long DbSize, long DbSizeInUse, bool IsLeader, bool IsLearner,
    long Revision, ulong RaftTerm, ulong RaftIndex, ulong RaftAppliedIndex, IReadOnlyList<string> Errors, string? Error);

public sealed record MemberReport(string Id, string Name, IReadOnlyList<string> PeerUrls, IReadOnlyList<string> ClientUrls, bool IsLearner);

public sealed record AlarmReport(string MemberId, string Alarm);

public sealed record ClusterStatusReport(string? ClusterId, string? LeaderId, IReadOnlyList<EndpointReport> Endpoints,
    IReadOnlyList<MemberReport> Members, IReadOnlyList<AlarmReport> Alarms);

/// <summary>Collects what `status` shows. Ids are hex, as etcdctl prints them.</summary>
public static class ClusterStatus
{
    public static async Task<ClusterStatusReport> GatherAsync(EtcdClient client, CancellationToken ct)
    {
        var statuses = await client.StatusAllAsync(ct).ConfigureAwait(false);
        var answered = statuses.Where(s => s.Status is not null).ToList();
        IReadOnlyList<MemberReport> members = [];
        IReadOnlyList<AlarmReport> alarms = [];
        if (answered.Count > 0)
        {
            client.Prefer(answered[0].Endpoint);
            var list = await client.MemberListAsync(ct).ConfigureAwait(false);
            members = list.Members.Select(m => new MemberReport(Hex(m.ID), m.Name, m.PeerURLs, m.ClientURLs, m.IsLearner)).ToList();
            alarms = (await client.AlarmListAsync(ct).ConfigureAwait(false)).Select(a => new AlarmReport(Hex(a.MemberID), a.Alarm.ToString().ToUpperInvariant())).ToList();
        }
        var names = members.ToDictionary(m => m.Id, m => m.Name);
        var endpoints = statuses.Select(s => s.Status is { } st
            ? new EndpointReport(Trim(s.Endpoint), Hex(st.Header.MemberId), names.GetValueOrDefault(Hex(st.Header.MemberId)), st.Version, st.DbSize, st.DbSizeInUse,
                s.IsLeader, st.IsLearner, st.Header.Revision, st.RaftTerm, st.RaftIndex, st.RaftAppliedIndex, st.Errors, null)
            : new EndpointReport(Trim(s.Endpoint), null, null, null, 0, 0, false, false, 0, 0, 0, 0, [], s.Error?.Detail)).ToList();
        var first = answered.FirstOrDefault()?.Status;
        var leader = answered.Select(s => s.Status!.Leader).FirstOrDefault(l => l != 0);
        return new ClusterStatusReport(first is null ? null : Hex(first.Header.ClusterId), leader == 0 ? null : Hex(leader), endpoints, members, alarms);
    }

    private static string Trim(Uri u) => EtcdConnectionOptions.Name(u);

    private static string Hex(ulong id) => EtcdIds.Format(id);
}
