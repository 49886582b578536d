using System.Diagnostics;
using EtcdDr.Restore.Steps;

namespace EtcdDr.Restore;

/// <summary>A step starting or ending on a host, for the progress line.</summary>
public sealed record StepEvent(PlanStep Step, int Total, string State, string? Note, double Seconds);

/// <summary>A failed step: what failed, where the journal is, and how to go on (exit 8).</summary>
public sealed class RestoreStepFailedException(PlanStep step, string journal, string problem, Exception? inner = null)
    : DrException($"step {step.Index + 1} ({step.Kind} on {step.Host}) failed: {Failures.OneLine(problem)}; the journal is {journal}: fix the cause, then run `etcd-dr restore resume --journal {journal}`",
        FailureKind.StepFailed, inner)
{
    public PlanStep Step { get; } = step;
}

/// <summary>
/// Does what the plan decided: each step's check before, its idempotent action, its check after, with a
/// journal record (fsync'd) before and after. Steps of one group run at once. One run at a time: the
/// caller holds <see cref="RestoreLock"/>.
/// </summary>
public sealed class RestoreRunner(RestoreContext context, RestoreJournal journal, IProgress<StepEvent>? progress = null)
{
    public async Task RunAsync(int fromStep, CancellationToken ct)
    {
        var steps = context.Plan.Steps;
        var i = fromStep;
        while (i < steps.Count)
        {
            var batch = new List<PlanStep> { steps[i] };
            while (steps[i].Group is { } group && i + batch.Count < steps.Count && steps[i + batch.Count].Group == group)
                batch.Add(steps[i + batch.Count]);
            // Checks before for the whole group first: a problem on one host stops the group before any host acts.
            foreach (var step in batch)
                await CheckBeforeAsync(step, ct).ConfigureAwait(false);
            if (context.GroupsInParallel)
                await Task.WhenAll(batch.Select(step => RunStepAsync(step, ct))).ConfigureAwait(false);
            else
                foreach (var step in batch)
                    await RunStepAsync(step, ct).ConfigureAwait(false);
            i += batch.Count;
        }
        journal.Finished($"{steps.Count} steps done");
    }

    private async Task CheckBeforeAsync(PlanStep step, CancellationToken ct)
    {
        string? problem;
        try
        {
            problem = await RestoreSteps.For(step.Kind).CheckBeforeAsync(step, context, ct).ConfigureAwait(false);
        }
        catch (DrException ex)
        {
            problem = ex.Message;
        }
        if (problem is not null)
        {
            journal.Fail(step, "check before: " + problem, 0);
            progress?.Report(new StepEvent(step, context.Plan.Steps.Count, "failed", problem, 0));
            throw new RestoreStepFailedException(step, journal.Path, problem);
        }
    }

    private async Task RunStepAsync(PlanStep step, CancellationToken ct)
    {
        var impl = RestoreSteps.For(step.Kind);
        var clock = Stopwatch.StartNew();
        journal.Begin(step);
        progress?.Report(new StepEvent(step, context.Plan.Steps.Count, "running", null, 0));
        string? note;
        try
        {
            note = await impl.RunAsync(step, context, ct).ConfigureAwait(false);
            var problem = await impl.CheckAfterAsync(step, context, ct).ConfigureAwait(false);
            if (problem is not null)
                throw new DrException("check after: " + problem, FailureKind.General);
        }
        catch (Exception ex) when (ex is DrException or IOException or TimeoutException || (ex is OperationCanceledException && ct.IsCancellationRequested))
        {
            var message = ex is OperationCanceledException ? "interrupted" : Failures.OneLine(ex.Message);
            journal.Fail(step, message, clock.Elapsed.TotalSeconds);
            progress?.Report(new StepEvent(step, context.Plan.Steps.Count, "failed", message, clock.Elapsed.TotalSeconds));
            if (ex is OperationCanceledException)
                throw;
            throw new RestoreStepFailedException(step, journal.Path, message, ex);
        }
        journal.End(step, note, clock.Elapsed.TotalSeconds);
        progress?.Report(new StepEvent(step, context.Plan.Steps.Count, "done", note, clock.Elapsed.TotalSeconds));
    }
}
