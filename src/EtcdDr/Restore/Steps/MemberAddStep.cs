namespace EtcdDr.Restore.Steps;

/// <summary>
/// member add --learner: writes keep flowing while the new member syncs (a voting add to a one-member
/// cluster would block every write until it catches up; DESIGN.md section 4). Not repeated when a
/// member with the planned peer URL is already there (a resumed run).
/// </summary>
public sealed class MemberAddStep : IRestoreStep
{
    public StepKind Kind => StepKind.MemberAdd;

    public async Task<string?> CheckBeforeAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        var members = await ClusterChecks.PatientlyAsync(context, context.Cluster.MembersAsync, ct).ConfigureAwait(false);
        // An unstarted learner left by an earlier add blocks the next add in etcd; only our own is fine.
        var stray = members.FirstOrDefault(m => m.Name.Length == 0 && !m.PeerUrls.Contains(step.Member!.PeerUrl, StringComparer.Ordinal));
        return stray is null ? null : $"another member was added but never started ({string.Join(",", stray.PeerUrls)}); remove it or start it first";
    }

    public async Task<string?> RunAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        var members = await ClusterChecks.PatientlyAsync(context, context.Cluster.MembersAsync, ct).ConfigureAwait(false);
        if (ClusterChecks.Find(members, step.Member!) is { } existing)
            return $"already a member ({existing.Id:x16}{(existing.IsLearner ? ", learner" : "")})";
        // etcd refuses an add ("unhealthy cluster") until the leader has been connected to every voter for
        // 5 s: right after the previous member's promote it says so. Ask again until the health timeout.
        var deadline = context.Time.GetUtcNow() + TimeSpan.FromSeconds(context.Plan.Request.HealthTimeoutSeconds);
        while (true)
        {
            try
            {
                var added = await context.Cluster.AddLearnerAsync(step.Member!.PeerUrl, ct).ConfigureAwait(false);
                return $"added learner {added.Id:x16}";
            }
            catch (DrException ex) when (ex.Message.Contains("unhealthy cluster", StringComparison.OrdinalIgnoreCase) && context.Time.GetUtcNow() < deadline)
            {
                await Task.Delay(context.Poll, context.Time, ct).ConfigureAwait(false);
                // A lost answer may still have added it: look before asking again.
                if (ClusterChecks.Find(await context.Cluster.MembersAsync(ct).ConfigureAwait(false), step.Member!) is { } late)
                    return $"added ({late.Id:x16})";
            }
        }
    }

    public async Task<string?> CheckAfterAsync(PlanStep step, RestoreContext context, CancellationToken ct) =>
        ClusterChecks.Find(await context.Cluster.MembersAsync(ct).ConfigureAwait(false), step.Member!) is null ? $"{step.Member!.PeerUrl} is not in the member list after the add" : null;
}
