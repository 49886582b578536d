namespace EtcdDr.Restore.Steps;

/// <summary>
/// One kind of step. The runner calls, in order: <see cref="CheckBeforeAsync"/> (may it run here? a
/// problem stops the run before anything is done), <see cref="RunAsync"/> (idempotent: a resumed run
/// calls it again on a step that may have finished), <see cref="CheckAfterAsync"/> (is the result there?).
/// </summary>
public interface IRestoreStep
{
    StepKind Kind { get; }

    /// <summary>Null when the step may run; otherwise why not.</summary>
    Task<string?> CheckBeforeAsync(PlanStep step, RestoreContext context, CancellationToken ct);

    /// <summary>Does the step; returns a note for the journal and report (null: nothing to say).</summary>
    Task<string?> RunAsync(PlanStep step, RestoreContext context, CancellationToken ct);

    /// <summary>Null when the result is as planned; otherwise what is wrong.</summary>
    Task<string?> CheckAfterAsync(PlanStep step, RestoreContext context, CancellationToken ct);
}

/// <summary>Every step kind's implementation.</summary>
public static class RestoreSteps
{
    private static readonly Dictionary<StepKind, IRestoreStep> All = new IRestoreStep[]
    {
        new StageSnapshotStep(), new AdoptParkedManifestStep(), new StopControlPlaneStep(), new StopEtcdStep(), new MoveDataAsideStep(), new CopyDataAsideStep(),
        new RestoreSnapshotStep(), new PlacePkiStep(), new EditConfigStep(), new StartEtcdStep(), new WaitHealthyStep(),
        new MemberUpdateStep(), new MemberRemoveStep(), new MemberAddStep(), new PromoteLearnerStep(), new StartControlPlaneStep(), new VerifyStep(),
    }.ToDictionary(s => s.Kind);

    public static IRestoreStep For(StepKind kind) => All[kind];

    internal static readonly Task<string?> Fine = Task.FromResult<string?>(null);
}
