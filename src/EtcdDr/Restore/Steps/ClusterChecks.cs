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
