namespace EtcdDr.Restore.Steps;

/// <summary>Waits until the learner has caught up (etcd refuses the promote until then), promotes it, and waits
/// until every member so far is a healthy voter.</summary>
public sealed class PromoteLearnerStep : IRestoreStep
{
    public StepKind Kind => StepKind.PromoteLearner;

    public async Task<string?> CheckBeforeAsync(PlanStep step, RestoreContext context, CancellationToken ct) =>
        ClusterChecks.Find(await ClusterChecks.PatientlyAsync(context, context.Cluster.MembersAsync, ct).ConfigureAwait(false), step.Member!) is null ? $"{step.Member!.Name} is not a member: it must be added first" : null;

    public async Task<string?> RunAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        var timeout = TimeSpan.FromSeconds(context.Plan.Request.CatchUpTimeoutSeconds);
        var started = context.Time.GetUtcNow();
        var problem = await ClusterChecks.WaitAsync(context, timeout, async token =>
        {
            var member = ClusterChecks.Find(await context.Cluster.MembersAsync(token).ConfigureAwait(false), step.Member!);
            if (member is null)
                return $"{step.Member!.Name} vanished from the member list";
            if (!member.IsLearner)
                return null;
            return await context.Cluster.TryPromoteAsync(member.Id, token).ConfigureAwait(false) ? null : $"{step.Member!.Name} has not caught up with the leader";
        }, ct).ConfigureAwait(false);
        if (problem is not null)
            throw new DrException($"{problem} after {timeout.TotalSeconds:0} s; `etcd-dr restore resume` waits again", FailureKind.Unreachable);
        problem = await ClusterChecks.WaitAsync(context, TimeSpan.FromSeconds(context.Plan.Request.HealthTimeoutSeconds),
            token => ClusterChecks.ProblemAsync(context.Cluster, step.Expected!, true, null, token), ct).ConfigureAwait(false);
        if (problem is not null)
            throw new DrException($"after promoting {step.Member!.Name}: {problem}", FailureKind.Unreachable);
        return $"caught up and promoted in {(context.Time.GetUtcNow() - started).TotalSeconds:0.0} s";
    }

    public Task<string?> CheckAfterAsync(PlanStep step, RestoreContext context, CancellationToken ct) =>
        ClusterChecks.ProblemAsync(context.Cluster, step.Expected!, true, null, ct);
}
