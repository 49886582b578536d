namespace EtcdDr.Restore.Steps;

/// <summary>Stops what writes to etcd and what would restart it behind our back (API server pods, kubelet).</summary>
public sealed class StopControlPlaneStep : IRestoreStep
{
    public StepKind Kind => StepKind.StopControlPlane;

    public Task<string?> CheckBeforeAsync(PlanStep step, RestoreContext context, CancellationToken ct) => RestoreSteps.Fine;

    public async Task<string?> RunAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        await context.Runtime(step.Host).StopControlPlaneAsync(ct).ConfigureAwait(false);
        return null;
    }

    // The runtime returns only once they are gone (IEtcdRuntime's rules).
    public Task<string?> CheckAfterAsync(PlanStep step, RestoreContext context, CancellationToken ct) => RestoreSteps.Fine;
}
