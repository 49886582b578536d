namespace EtcdDr.Restore.Steps;

/// <summary>After force-new-cluster the member may advertise a stale (even localhost) peer URL: set the planned one.</summary>
public sealed class MemberUpdateStep : IRestoreStep
{
    public StepKind Kind => StepKind.MemberUpdate;

    public Task<string?> CheckBeforeAsync(PlanStep step, RestoreContext context, CancellationToken ct) => RestoreSteps.Fine;

    public async Task<string?> RunAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        var planned = step.Member!;
        var members = await ClusterChecks.PatientlyAsync(context, context.Cluster.MembersAsync, ct).ConfigureAwait(false);
        var member = members.FirstOrDefault(m => m.Name == planned.Name)
            ?? throw new DrException($"no member named {planned.Name} in the member list", FailureKind.General);
        if (member.PeerUrls.SequenceEqual([planned.PeerUrl], StringComparer.Ordinal))
            return $"peer URL already {planned.PeerUrl}";
        await context.Cluster.UpdatePeerUrlAsync(member.Id, planned.PeerUrl, ct).ConfigureAwait(false);
        return $"peer URL {string.Join(",", member.PeerUrls)} -> {planned.PeerUrl}";
    }

    public async Task<string?> CheckAfterAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        var members = await context.Cluster.MembersAsync(ct).ConfigureAwait(false);
        var member = members.FirstOrDefault(m => m.Name == step.Member!.Name);
        return member is not null && member.PeerUrls.SequenceEqual([step.Member!.PeerUrl], StringComparer.Ordinal)
            ? null : $"{step.Member!.Name}'s peer URL is not {step.Member.PeerUrl} after the update";
    }
}
