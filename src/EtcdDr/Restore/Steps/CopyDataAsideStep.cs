using EtcdDr.Remote;

namespace EtcdDr.Restore.Steps;

/// <summary>
/// --from-member: the surviving data stays in place (force-new-cluster rewrites its membership), so a
/// copy of it goes aside first: if anything goes wrong, the data from before is still there.
/// </summary>
public sealed class CopyDataAsideStep : IRestoreStep
{
    public StepKind Kind => StepKind.CopyDataAside;

    public async Task<string?> CheckBeforeAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        var runtime = context.Runtime(step.Host);
        if (await runtime.IsEtcdRunningAsync(ct).ConfigureAwait(false))
            return $"etcd still runs on {step.Host}; a copy of a live data dir is not consistent";
        return await runtime.Host.ExistsAsync($"{runtime.DataDir}/member", true, ct).ConfigureAwait(false)
            ? null : $"{runtime.DataDir}/member does not exist on {step.Host}: there is no surviving data to recover from";
    }

    public async Task<string?> RunAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        var host = context.Host(step.Host);
        var runtime = context.Runtime(step.Host);
        if (await host.ExistsAsync(step.Path!, true, ct).ConfigureAwait(false))
            return $"already copied to {step.Path}";
        // Into a temporary name, renamed when complete: a killed copy never looks like a whole one.
        var temp = step.Path + ".part";
        await host.Must(["rm", "-rf", "--", temp], ct).ConfigureAwait(false);
        await host.Must(["cp", "-a", "--", runtime.DataDir, temp], ct).ConfigureAwait(false);
        await host.Must(["mv", "--", temp, step.Path!], ct).ConfigureAwait(false);
        return $"copy kept at {step.Path}";
    }

    public async Task<string?> CheckAfterAsync(PlanStep step, RestoreContext context, CancellationToken ct) =>
        await context.Host(step.Host).ExistsAsync($"{step.Path}/member", true, ct).ConfigureAwait(false) ? null : $"{step.Path}/member is missing after the copy";
}
