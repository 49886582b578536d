namespace EtcdDr.Restore.Steps;

/// <summary>Waits for a leader and the step's members healthy (names; peer URLs too unless the step says not yet).</summary>
public sealed class WaitHealthyStep : IRestoreStep
{
    public StepKind Kind => StepKind.WaitHealthy;

    public Task<string?> CheckBeforeAsync(PlanStep step, RestoreContext context, CancellationToken ct) => RestoreSteps.Fine;

    public async Task<string?> RunAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        var problem = await ClusterChecks.WaitAsync(context, TimeSpan.FromSeconds(context.Plan.Request.HealthTimeoutSeconds),
            token => ClusterChecks.ProblemAsync(context.Cluster, step.Expected!, step.CheckPeerUrls, null, token), ct).ConfigureAwait(false);
        if (problem is not null)
            throw new DrException($"the cluster did not become healthy within {context.Plan.Request.HealthTimeoutSeconds} s: {problem}", FailureKind.Unreachable);
        return $"{step.Expected!.Count} member(s) healthy with a leader";
    }

    public Task<string?> CheckAfterAsync(PlanStep step, RestoreContext context, CancellationToken ct) =>
        ClusterChecks.ProblemAsync(context.Cluster, step.Expected!, step.CheckPeerUrls, null, ct);
}
