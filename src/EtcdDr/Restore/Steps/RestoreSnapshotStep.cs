using EtcdDr.Remote;

namespace EtcdDr.Restore.Steps;

/// <summary>`snapshot restore` into the (moved-aside, so absent) data dir, by the runtime's version-fit tool.</summary>
public sealed class RestoreSnapshotStep : IRestoreStep
{
    public StepKind Kind => StepKind.RestoreSnapshot;

    public async Task<string?> CheckBeforeAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        var host = context.Host(step.Host);
        return await host.ExistsAsync(step.Restore!.SnapshotPath, true, ct).ConfigureAwait(false)
            ? null : $"the staged snapshot {step.Restore.SnapshotPath} is not on {step.Host}";
    }

    public async Task<string?> RunAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        var runtime = context.Runtime(step.Host);
        string? note = null;
        if (await runtime.Host.ExistsAsync(step.Restore!.DataDir, true, ct).ConfigureAwait(false))
        {
            if (!context.BegunBefore.Contains(step.Index))
                throw new DrException($"{step.Host}: {step.Restore.DataDir} exists although it was moved aside; refusing to restore over it", FailureKind.Refused);
            // A killed attempt may have left half a restore: keep it (never delete) and restore again.
            var partial = $"{context.Plan.Request.AsideFor(step.Restore.DataDir)}-partial-{context.Time.GetUtcNow().ToUnixTimeSeconds()}";
            await runtime.MoveDataDirAsideAsync(partial, ct).ConfigureAwait(false);
            note = $"an earlier attempt's data dir kept at {partial}; ";
        }
        await runtime.RestoreSnapshotAsync(step.Restore, ct).ConfigureAwait(false);
        return note + $"restored as {step.Restore.MemberName}" + (step.Restore.BumpRevision > 0 ? $", revision bumped by {step.Restore.BumpRevision}" : "");
    }

    public async Task<string?> CheckAfterAsync(PlanStep step, RestoreContext context, CancellationToken ct) =>
        await context.Host(step.Host).ExistsAsync($"{step.Restore!.DataDir}/member", true, ct).ConfigureAwait(false)
            ? null : $"{step.Restore.DataDir}/member is missing after the restore";
}
