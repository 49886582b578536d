namespace EtcdDr.Restore.Steps;

/// <summary>kubelet and the parked API server, controller-manager and scheduler manifests back.</summary>
public sealed class StartControlPlaneStep : IRestoreStep
{
    public StepKind Kind => StepKind.StartControlPlane;

    public Task<string?> CheckBeforeAsync(PlanStep step, RestoreContext context, CancellationToken ct) => RestoreSteps.Fine;

    public async Task<string?> RunAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        await context.Runtime(step.Host).StartControlPlaneAsync(ct).ConfigureAwait(false);
        return null;
    }

    public Task<string?> CheckAfterAsync(PlanStep step, RestoreContext context, CancellationToken ct) => RestoreSteps.Fine;
}
