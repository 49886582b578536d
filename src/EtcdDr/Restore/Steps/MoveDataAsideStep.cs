using EtcdDr.Remote;

namespace EtcdDr.Restore.Steps;

/// <summary>The old data dir goes to &lt;datadir&gt;.dr-STAMP: never deleted, and the report says where.</summary>
public sealed class MoveDataAsideStep : IRestoreStep
{
    public StepKind Kind => StepKind.MoveDataAside;

    public async Task<string?> CheckBeforeAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        var runtime = context.Runtime(step.Host);
        if (await runtime.IsEtcdRunningAsync(ct).ConfigureAwait(false))
            return $"etcd still runs on {step.Host}; its data dir is not moved under it";
        // Both there: this stamp's aside already holds something and moving would nest one in the other.
        if (await runtime.Host.ExistsAsync(runtime.DataDir, true, ct).ConfigureAwait(false) && await runtime.Host.ExistsAsync(step.Path!, true, ct).ConfigureAwait(false))
            return $"both {runtime.DataDir} and {step.Path} exist; move one of them yourself and resume";
        return null;
    }

    public async Task<string?> RunAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        var runtime = context.Runtime(step.Host);
        if (!await runtime.Host.ExistsAsync(runtime.DataDir, true, ct).ConfigureAwait(false))
            return await runtime.Host.ExistsAsync(step.Path!, true, ct).ConfigureAwait(false) ? $"already at {step.Path}" : $"{runtime.DataDir} did not exist: nothing to keep";
        await runtime.MoveDataDirAsideAsync(step.Path!, ct).ConfigureAwait(false);
        return $"kept at {step.Path}";
    }

    public async Task<string?> CheckAfterAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        var runtime = context.Runtime(step.Host);
        return await runtime.Host.ExistsAsync(runtime.DataDir, true, ct).ConfigureAwait(false) ? $"{runtime.DataDir} is still there after the move" : null;
    }
}
