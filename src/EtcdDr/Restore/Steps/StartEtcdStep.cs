namespace EtcdDr.Restore.Steps;

public sealed class StartEtcdStep : IRestoreStep
{
    public StepKind Kind => StepKind.StartEtcd;

    public Task<string?> CheckBeforeAsync(PlanStep step, RestoreContext context, CancellationToken ct) => RestoreSteps.Fine;

    public async Task<string?> RunAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        // Start even when it looks running: a start of a running unit is a no-op, and the runtime waits
        // until the client port listens.
        await context.Runtime(step.Host).StartEtcdAsync(ct).ConfigureAwait(false);
        return null;
    }

    public async Task<string?> CheckAfterAsync(PlanStep step, RestoreContext context, CancellationToken ct) =>
        await context.Runtime(step.Host).IsEtcdRunningAsync(ct).ConfigureAwait(false) ? null : "etcd does not run after the start";
}
