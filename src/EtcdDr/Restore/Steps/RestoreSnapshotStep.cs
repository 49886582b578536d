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
        // Safe to run again: the runtime recognises its own finished or half-written restore (a marker
        // beside the data dir) and refuses any other non-empty target.
        await context.Runtime(step.Host).RestoreSnapshotAsync(step.Restore!, ct).ConfigureAwait(false);
        return $"restored as {step.Restore!.MemberName}" + (step.Restore.BumpRevision > 0 ? $", revision bumped by {step.Restore.BumpRevision}" : "");
    }

    public async Task<string?> CheckAfterAsync(PlanStep step, RestoreContext context, CancellationToken ct) =>
        await context.Host(step.Host).ExistsAsync($"{step.Restore!.DataDir}/member", true, ct).ConfigureAwait(false)
            ? null : $"{step.Restore.DataDir}/member is missing after the restore";
}
