namespace EtcdDr.Restore.Steps;

/// <summary>The end state: a leader, member list == inventory (with replacements), every endpoint healthy,
/// revision not below the snapshot's.</summary>
public sealed class VerifyStep : IRestoreStep
{
    public StepKind Kind => StepKind.Verify;

    public Task<string?> CheckBeforeAsync(PlanStep step, RestoreContext context, CancellationToken ct) => RestoreSteps.Fine;

    public async Task<string?> RunAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        var minRevision = context.Plan.Request.Snapshot?.Revision;
        var problem = await ClusterChecks.WaitAsync(context, TimeSpan.FromSeconds(context.Plan.Request.HealthTimeoutSeconds),
            token => ClusterChecks.ProblemAsync(context.Cluster, step.Expected!, true, minRevision, token), ct).ConfigureAwait(false);
        if (problem is not null)
            throw new DrException($"verification failed: {problem}", FailureKind.Partial);
        var health = await context.Cluster.HealthAsync(step.Expected!.Select(m => m.ReachUrl).ToList(), ct).ConfigureAwait(false);
        var leader = health.First(h => h.IsLeader);
        return $"leader {step.Expected!.First(m => m.ReachUrl == leader.ClientUrl).Name}, {step.Expected!.Count} voting members, revision {health.Max(h => h.Revision)}"
               + (minRevision is { } min ? $" (snapshot {min})" : "");
    }

    public Task<string?> CheckAfterAsync(PlanStep step, RestoreContext context, CancellationToken ct) =>
        ClusterChecks.ProblemAsync(context.Cluster, step.Expected!, true, context.Plan.Request.Snapshot?.Revision, ct);
}
