namespace EtcdDr.Drill;

/// <summary>One step of a drill on one lane (a master's name, or "cluster" for what spans them).</summary>
/// <param name="Phase">prepare, fault, restore, verify: the timeline groups and colours by it.</param>
/// <param name="Error">Why the step failed; null when it succeeded.</param>
public sealed record DrillStep(string Lane, string Phase, string Name, DateTimeOffset Start, DateTimeOffset End, string? Detail = null, string? Error = null)
{
    public const string ClusterLane = "cluster";

    public double Seconds => (End - Start).TotalSeconds;

    public bool Succeeded => Error is null;
}

/// <summary>
/// Records the steps of a drill as they run, from any thread (the canary writer and the restore run
/// side by side). Times come from one <see cref="TimeProvider"/>, so a report's figures and its
/// timeline can be checked against each other.
/// </summary>
public sealed class DrillTimeline(TimeProvider time)
{
    private readonly List<DrillStep> _steps = [];
    private readonly Lock _lock = new();

    public TimeProvider Time => time;

    public DateTimeOffset Now => time.GetUtcNow();

    public IReadOnlyList<DrillStep> Steps
    {
        get
        {
            lock (_lock)
                return [.. _steps.OrderBy(s => s.Start).ThenBy(s => s.End)];
        }
    }

    public void Add(DrillStep step)
    {
        lock (_lock)
            _steps.Add(step);
    }

    /// <summary>Runs <paramref name="action"/> as one step; a failure is recorded with its message and rethrown.</summary>
    public async Task<T> StepAsync<T>(string lane, string phase, string name, Func<CancellationToken, Task<(T Value, string? Detail)>> action, CancellationToken ct)
    {
        var start = Now;
        try
        {
            var (value, detail) = await action(ct).ConfigureAwait(false);
            Add(new DrillStep(lane, phase, name, start, Now, detail));
            return value;
        }
        catch (Exception ex)
        {
            Add(new DrillStep(lane, phase, name, start, Now, null, Failures.Describe(ex)));
            throw;
        }
    }

    public async Task StepAsync(string lane, string phase, string name, Func<CancellationToken, Task<string?>> action, CancellationToken ct) =>
        await StepAsync<bool>(lane, phase, name, async c => (true, await action(c).ConfigureAwait(false)), ct).ConfigureAwait(false);
}
