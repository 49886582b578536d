namespace EtcdDr.Restore.Steps;

public sealed class StopEtcdStep : IRestoreStep
{
    public StepKind Kind => StepKind.StopEtcd;

    public Task<string?> CheckBeforeAsync(PlanStep step, RestoreContext context, CancellationToken ct) => RestoreSteps.Fine;

    public async Task<string?> RunAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        var runtime = context.Runtime(step.Host);
        if (!await runtime.IsEtcdRunningAsync(ct).ConfigureAwait(false))
            return "was not running";
        await runtime.StopEtcdAsync(ct).ConfigureAwait(false);
        return null;
    }

    public async Task<string?> CheckAfterAsync(PlanStep step, RestoreContext context, CancellationToken ct) =>
        await context.Runtime(step.Host).IsEtcdRunningAsync(ct).ConfigureAwait(false) ? "etcd still runs after the stop" : null;
}
