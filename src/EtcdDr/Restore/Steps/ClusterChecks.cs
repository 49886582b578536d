namespace EtcdDr.Restore.Steps;

/// <summary>The health questions several steps ask etcd, and a patient way to ask them.</summary>
public static class ClusterChecks
{
    /// <summary>The member with this planned peer URL (or, before it started, no name yet), or by name.</summary>
    public static ClusterMember? Find(IReadOnlyList<ClusterMember> members, PlannedMember planned) =>
        members.FirstOrDefault(m => m.PeerUrls.Contains(planned.PeerUrl, StringComparer.Ordinal))
        ?? members.FirstOrDefault(m => m.Name.Length > 0 && m.Name == planned.Name);

    /// <summary>Null when the cluster has a leader, exactly the expected members (all voters, started, with
    /// their peer URLs when asked) and every one of them answers healthy; otherwise what is missing.</summary>
    public static async Task<string?> ProblemAsync(IRestoreCluster cluster, IReadOnlyList<PlannedMember> expected, bool checkPeerUrls, long? minRevision, CancellationToken ct)
    {
        var health = await cluster.HealthAsync(expected.Select(m => m.ReachUrl).ToList(), ct).ConfigureAwait(false);
        var sick = health.Where(h => !h.Healthy).ToList();
        if (sick.Count > 0)
            return "not healthy: " + string.Join("; ", sick.Select(h => $"{h.ClientUrl} ({h.Error})"));
        if (!health.Any(h => h.IsLeader))
            return "no member reports itself leader";
        IReadOnlyList<ClusterMember> members;
        try
        {
            members = await cluster.MembersAsync(ct).ConfigureAwait(false);
        }
        catch (DrException ex)
        {
            return $"member list failed: {Failures.OneLine(ex.Message)}";
        }
        var names = members.Select(m => m.Name).Order(StringComparer.Ordinal).ToList();
        var wanted = expected.Select(m => m.Name).Order(StringComparer.Ordinal).ToList();
        if (!names.SequenceEqual(wanted, StringComparer.Ordinal))
            return $"member list is [{string.Join(", ", names.Select(n => n.Length == 0 ? "(unstarted)" : n))}], expected [{string.Join(", ", wanted)}]";
        if (members.FirstOrDefault(m => m.IsLearner) is { } learner)
            return $"{learner.Name} is still a learner";
        if (checkPeerUrls)
        {
            foreach (var m in expected)
            {
                var actual = members.First(x => x.Name == m.Name);
                if (!actual.PeerUrls.SequenceEqual([m.PeerUrl], StringComparer.Ordinal))
                    return $"{m.Name} has peer URLs [{string.Join(", ", actual.PeerUrls)}], expected {m.PeerUrl}";
            }
        }
        if (minRevision is { } min && health.Max(h => h.Revision) is var rev && rev < min)
            return $"revision {rev} is lower than the snapshot's {min}";
        return null;
    }

    /// <summary>How long a check before a step asks again before it calls the cluster unhealthy.</summary>
    public static readonly TimeSpan CheckPatience = TimeSpan.FromSeconds(30);

    /// <summary>
    /// One etcd read for a check before a step, asked again while it fails for want of a connection. A
    /// resumed run makes its first etcd call from a fresh process, whose first TLS handshakes can miss the
    /// 3 s dial timeout on a loaded machine: one missed dial is not an unhealthy cluster.
    /// </summary>
    public static async Task<T> PatientlyAsync<T>(RestoreContext context, Func<CancellationToken, Task<T>> read, CancellationToken ct)
    {
        var deadline = context.Time.GetUtcNow() + CheckPatience;
        while (true)
        {
            try
            {
                return await read(ct).ConfigureAwait(false);
            }
            catch (DrException ex) when (ex.Kind == FailureKind.Unreachable && context.Time.GetUtcNow() < deadline)
            {
                await Task.Delay(context.Poll, context.Time, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>How EtcdClient words a dial that timed out (TCP and TLS): no answer yet, not a down member.</summary>
    public const string MissedDial = "no connection within";

    /// <summary>
    /// Health of these endpoints, asked again (up to <paramref name="asks"/> times, <paramref name="pause"/> apart)
    /// while some endpoint's only answer is a missed dial. A fresh process on a loaded machine can miss the 3 s
    /// dial with its first TLS handshakes; read as "down", that would refuse `restore member` over a healthy
    /// quorum, or let a restore over a healthy quorum through without --force.
    /// </summary>
    public static async Task<IReadOnlyList<EndpointHealth>> HealthPatientlyAsync(IRestoreCluster cluster, IReadOnlyList<string> clientUrls, CancellationToken ct,
        int asks = 10, TimeSpan? pause = null)
    {
        for (var ask = 1; ; ask++)
        {
            var health = await cluster.HealthAsync(clientUrls, ct).ConfigureAwait(false);
            if (ask >= asks || !health.Any(h => !h.Healthy && h.Error?.Contains(MissedDial, StringComparison.Ordinal) == true))
                return health;
            await Task.Delay(pause ?? TimeSpan.FromSeconds(3), ct).ConfigureAwait(false);
        }
    }

    /// <summary>Asks until <paramref name="problem"/> answers null or the time is up; returns the last problem.</summary>
    public static async Task<string?> WaitAsync(RestoreContext context, TimeSpan timeout, Func<CancellationToken, Task<string?>> problem, CancellationToken ct)
    {
        var deadline = context.Time.GetUtcNow() + timeout;
        while (true)
        {
            var last = await problem(ct).ConfigureAwait(false);
            if (last is null || context.Time.GetUtcNow() >= deadline)
                return last;
            await Task.Delay(context.Poll, context.Time, ct).ConfigureAwait(false);
        }
    }
}
