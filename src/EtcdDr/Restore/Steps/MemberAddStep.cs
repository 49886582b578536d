namespace EtcdDr.Restore.Steps;

/// <summary>
/// member add --learner: writes keep flowing while the new member syncs (a voting add to a one-member
/// cluster would block every write until it catches up; DESIGN.md section 4). Not repeated when a
/// member with the planned peer URL is already there (a resumed run).
/// </summary>
public sealed class MemberAddStep : IRestoreStep
{
    public StepKind Kind => StepKind.MemberAdd;

    public async Task<string?> CheckBeforeAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        var members = await context.Cluster.MembersAsync(ct).ConfigureAwait(false);
        // An unstarted learner left by an earlier add blocks the next add in etcd; only our own is fine.
        var stray = members.FirstOrDefault(m => m.Name.Length == 0 && !m.PeerUrls.Contains(step.Member!.PeerUrl, StringComparer.Ordinal));
        return stray is null ? null : $"another member was added but never started ({string.Join(",", stray.PeerUrls)}); remove it or start it first";
    }

    public async Task<string?> RunAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        var members = await context.Cluster.MembersAsync(ct).ConfigureAwait(false);
        if (ClusterChecks.Find(members, step.Member!) is { } existing)
            return $"already a member ({existing.Id:x16}{(existing.IsLearner ? ", learner" : "")})";
        var added = await context.Cluster.AddLearnerAsync(step.Member!.PeerUrl, ct).ConfigureAwait(false);
        return $"added learner {added.Id:x16}";
    }

    public async Task<string?> CheckAfterAsync(PlanStep step, RestoreContext context, CancellationToken ct) =>
        ClusterChecks.Find(await context.Cluster.MembersAsync(ct).ConfigureAwait(false), step.Member!) is null ? $"{step.Member!.PeerUrl} is not in the member list after the add" : null;
}
