namespace EtcdDr.Restore.Steps;

public sealed class StopEtcdStep : IRestoreStep
{
    public StepKind Kind => StepKind.StopEtcd;

    public Task<string?> CheckBeforeAsync(PlanStep step, RestoreContext context, CancellationToken ct) => RestoreSteps.Fine;

    public async Task<string?> RunAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        // Stopped even when it looks down: a crash-looping member is restarted by kubelet or systemd
        // behind our back unless its pod or unit is stopped. Stop is idempotent (IEtcdRuntime's rules).
        var runtime = context.Runtime(step.Host);
        var wasRunning = await runtime.IsEtcdRunningAsync(ct).ConfigureAwait(false);
        await runtime.StopEtcdAsync(ct).ConfigureAwait(false);
        return wasRunning ? null : "was not running";
    }

    public async Task<string?> CheckAfterAsync(PlanStep step, RestoreContext context, CancellationToken ct) =>
        await context.Runtime(step.Host).IsEtcdRunningAsync(ct).ConfigureAwait(false) ? "etcd still runs after the stop" : null;
}
