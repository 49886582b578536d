namespace EtcdDr.Restore.Steps;

/// <summary>`restore member`: the broken member leaves the cluster (found by name or planned peer URL).</summary>
public sealed class MemberRemoveStep : IRestoreStep
{
    public StepKind Kind => StepKind.MemberRemove;

    public async Task<string?> CheckBeforeAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        // Removing one member must leave a quorum of the others: every other member answers healthy. Asked again
        // for a while before refusing (ClusterChecks.PatientlyAsync says why).
        var others = context.Plan.Members.Where(m => m.Name != step.Member!.Name).ToList();
        return await ClusterChecks.WaitAsync(context, ClusterChecks.CheckPatience, async token =>
        {
            var health = await context.Cluster.HealthAsync(others.Select(m => m.ReachUrl).ToList(), token).ConfigureAwait(false);
            var sick = health.Where(h => !h.Healthy).ToList();
            return sick.Count == 0 ? null
                : $"not every other member is healthy ({string.Join("; ", sick.Select(h => $"{h.ClientUrl}: {h.Error}"))}); removing {step.Member!.Name} could lose the quorum";
        }, ct).ConfigureAwait(false);
    }

    public async Task<string?> RunAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        var members = await ClusterChecks.PatientlyAsync(context, context.Cluster.MembersAsync, ct).ConfigureAwait(false);
        if (ClusterChecks.Find(members, step.Member!) is not { } member)
            return "not a member (already removed)";
        await context.Cluster.RemoveAsync(member.Id, ct).ConfigureAwait(false);
        return $"removed member {member.Id:x16}";
    }

    public async Task<string?> CheckAfterAsync(PlanStep step, RestoreContext context, CancellationToken ct) =>
        ClusterChecks.Find(await context.Cluster.MembersAsync(ct).ConfigureAwait(false), step.Member!) is null ? null : $"{step.Member!.Name} is still a member";
}
