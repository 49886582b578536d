namespace EtcdDr.Drill;

/// <summary>
/// The drill's figures and checks, computed from what was recorded (the canary ledger, the canaries
/// read back, the probe, the timeline) and nothing else: pure, so every rule is unit-tested.
/// </summary>
public static class DrillAnalysis
{
    /// <summary>How far RTO and the summed recovery steps may differ: the gaps between steps (a log
    /// line, a reconnect) plus one probe interval.</summary>
    public static double StepTolerance(double rtoSeconds) => Math.Max(1.0, rtoSeconds * 0.05);

    public static CanaryFigures Canaries(IReadOnlyList<CanaryWrite> writes, IReadOnlyCollection<long> recovered, long ackedBeforeSnapshot)
    {
        ArgumentNullException.ThrowIfNull(writes);
        ArgumentNullException.ThrowIfNull(recovered);
        var back = recovered as IReadOnlySet<long> ?? recovered.ToHashSet();
        var acked = writes.Where(w => w.Acked).ToList();
        var newestWritten = acked.MaxBy(w => w.Sequence);
        var bySequence = writes.ToDictionary(w => w.Sequence);
        var newestRecovered = back.Count == 0 ? 0 : back.Max();
        var lost = acked.Where(w => !back.Contains(w.Sequence)).ToList();
        var failed = writes.Where(w => w.Error is not null).ToList();
        return new CanaryFigures(
            Written: writes.Count,
            Acked: acked.Count,
            NewestWrittenSequence: newestWritten?.Sequence ?? 0,
            NewestWrittenAt: newestWritten?.WrittenAt,
            NewestRecoveredSequence: newestRecovered,
            NewestRecoveredAt: bySequence.TryGetValue(newestRecovered, out var r) ? r.WrittenAt : null,
            AckedBeforeSnapshot: ackedBeforeSnapshot,
            LostAcked: lost.Count,
            Holes: lost.Count(w => w.Sequence < newestRecovered),
            MissingFromSnapshot: lost.Count(w => w.Sequence <= ackedBeforeSnapshot),
            FailedWrites: failed.Count,
            FailedWriteErrors: [.. failed.Take(5).Select(w => $"canary {w.Sequence} at {w.WrittenAt:HH:mm:ss.fff}: {w.Error}")]);
    }

    /// <summary>The newest acknowledged canary's time minus the newest recovered one's; 0 when nothing
    /// acknowledged was lost. Null when no canary came back at all (then there is no "newest").</summary>
    public static double? Rpo(CanaryFigures canaries)
    {
        ArgumentNullException.ThrowIfNull(canaries);
        if (canaries.LostAcked == 0)
            return 0;
        if (canaries.NewestWrittenAt is not { } written || canaries.NewestRecoveredAt is not { } recovered)
            return null;
        return Math.Max(0, (written - recovered).TotalSeconds);
    }

    public static double? Rto(DateTimeOffset? outage, DateTimeOffset? recovered) =>
        outage is { } o && recovered is { } r ? Math.Max(0, (r - o).TotalSeconds) : null;

    /// <summary>
    /// The cluster lane's steps from the outage on (fault, restore, wait), each clipped to the window
    /// [outage, recovered] and summed. The cluster lane runs one step at a time, so this equals the
    /// RTO exactly when the timeline accounts for the whole outage: a gap means time nobody recorded.
    /// </summary>
    public static double RecoveryStepsSeconds(IReadOnlyList<DrillStep> steps, DateTimeOffset outage, DateTimeOffset recovered)
    {
        ArgumentNullException.ThrowIfNull(steps);
        double sum = 0;
        foreach (var step in steps.Where(s => s.Lane == DrillStep.ClusterLane))
        {
            var start = step.Start < outage ? outage : step.Start;
            var end = step.End > recovered ? recovered : step.End;
            if (end > start)
                sum += (end - start).TotalSeconds;
        }
        return sum;
    }

    /// <summary>The checks for one finished (or failed) drill, in the order an operator reads them.</summary>
    public static IReadOnlyList<DrillCheck> Checks(DrillScenario scenario, DrillRunRecord run)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(run);
        var checks = new List<DrillCheck>();
        if (run.Error is { } error)
            checks.Add(new DrillCheck("drill ran to the end", false, error));

        checks.Add(run.Snapshot is { } snap
            ? new DrillCheck("snapshot taken and verified", true, $"revision {snap.Revision}, {snap.FileSize} bytes, sha256 {snap.FileSha256[..Math.Min(12, snap.FileSha256.Length)]}…, etcd's trailer checked while streaming")
            : new DrillCheck("snapshot taken and verified", false, "no snapshot was taken"));

        // The restore command is the cluster lane's last restore step (a replacement may come before it); any failed one wins.
        var restoreSteps = run.Steps.Where(s => s.Phase == "restore" && s.Lane == DrillStep.ClusterLane).ToList();
        var restore = restoreSteps.FirstOrDefault(s => !s.Succeeded) ?? restoreSteps.LastOrDefault();
        checks.Add(restore is null
            ? new DrillCheck("restore finished", false, "the restore did not run")
            : new DrillCheck("restore finished", restore.Succeeded, restore.Succeeded ? $"{restore.Name} in {restore.Seconds:0.0} s" : restore.Error!));

        if (run.Probe is { } seen)
            checks.Add(new DrillCheck("the fault took effect", seen.FailedProbes > 0,
                seen.FailedProbes > 0 ? $"{seen.FailedProbes} probes found the cluster not whole; the last problem seen: {seen.LastProblem}" : "the very first probe after the fault found the cluster whole: the fault did not break anything"));

        checks.Add(run.Probe?.RecoveredAt is not null
            ? new DrillCheck("cluster whole again", true, $"every member healthy, canary read and write answered after {run.Probe.Probes} probes")
            : new DrillCheck("cluster whole again", false, $"the cluster never became whole: {run.Probe?.LastProblem ?? "not probed"}"));

        if (run.Canaries is { } c)
        {
            checks.Add(new DrillCheck("canaries from before the snapshot intact", c.MissingFromSnapshot == 0 && c.AckedBeforeSnapshot > 0,
                c.AckedBeforeSnapshot == 0 ? "no canary was acknowledged before the snapshot" : $"{c.AckedBeforeSnapshot - c.MissingFromSnapshot} of {c.AckedBeforeSnapshot} came back"));
            checks.Add(new DrillCheck("no canary lost from the middle", c.Holes == 0,
                c.Holes == 0 ? "every acknowledged canary up to the newest recovered one came back" : $"{c.Holes} acknowledged canaries older than the newest recovered one are missing"));
            if (!scenario.LosesWritesAfterSnapshot)
                checks.Add(new DrillCheck("RPO is zero", c.LostAcked == 0,
                    c.LostAcked == 0 ? $"all {c.Acked} acknowledged canaries came back" : $"{c.LostAcked} acknowledged canaries were lost, though this recovery keeps every write"));
            if (scenario.RequiresNoFailedWrite)
                checks.Add(new DrillCheck("no failed write for clients of the healthy quorum", c.FailedWrites == 0,
                    c.FailedWrites == 0 ? $"{c.Written} writes during the drill, none failed" : $"{c.FailedWrites} of {c.Written} writes failed: {string.Join("; ", c.FailedWriteErrors)}"));
        }
        else
        {
            checks.Add(new DrillCheck("canaries read back", false, "the canaries could not be read back after the restore"));
        }

        if (run.OutageAt is { } outage && run.Probe?.RecoveredAt is { } recovered)
        {
            var rto = (recovered - outage).TotalSeconds;
            var sum = RecoveryStepsSeconds(run.Steps, outage, recovered);
            var tolerance = StepTolerance(rto);
            checks.Add(new DrillCheck("RTO equals the recorded steps", Math.Abs(rto - sum) <= tolerance,
                $"RTO {rto:0.00} s, steps from outage to recovery {sum:0.00} s (tolerance {tolerance:0.00} s)"));
        }
        return checks;
    }

    /// <summary>Builds the report from what the run recorded.</summary>
    public static DrillReport Report(DrillScenario scenario, DrillRunRecord run, DrillContext context, DateTimeOffset finishedAt)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(context);
        var checks = Checks(scenario, run);
        var failed = checks.FirstOrDefault(c => !c.Passed);
        var rto = Rto(run.OutageAt, run.Probe?.RecoveredAt);
        return new DrillReport
        {
            RunId = context.RunId,
            Cluster = context.Cluster,
            Flavor = context.Flavor,
            Scenario = scenario.Name,
            ScenarioSummary = scenario.Summary,
            RestoreStrategy = scenario.RestoreStrategy,
            Target = context.Target,
            StartedAt = run.StartedAt,
            FinishedAt = finishedAt,
            OutageAt = run.OutageAt,
            QuorumBackAt = run.Probe?.QuorumAt,
            RecoveredAt = run.Probe?.RecoveredAt,
            RtoSeconds = rto is { } r ? Math.Round(r, 3) : null,
            RpoSeconds = run.Canaries is { } c && Rpo(c) is { } p ? Math.Round(p, 3) : null,
            RecoveryStepsSeconds = run.OutageAt is { } o && run.Probe?.RecoveredAt is { } rec ? Math.Round(RecoveryStepsSeconds(run.Steps, o, rec), 3) : null,
            Passed = failed is null,
            FailedCheck = failed is null ? null : $"{failed.Name}: {failed.Detail}",
            Checks = checks,
            Steps = run.Steps,
            Hosts = context.Hosts,
            Snapshot = run.Snapshot,
            PkiArchives = run.PkiArchives,
            Canaries = run.Canaries,
            MovedAside = run.MovedAside,
            ToolVersions = run.ToolVersions,
            Notes = run.Notes,
            Interrupted = run.Interrupted,
        };
    }
}

/// <summary>Who and what a drill runs against.</summary>
/// <param name="Target">"lab (STATE)" or the inventory file.</param>
public sealed record DrillContext(string RunId, string Cluster, string Flavor, string Target, IReadOnlyList<string> Hosts);

/// <summary>What a drill run recorded, before analysis.</summary>
public sealed record DrillRunRecord
{
    public required DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? OutageAt { get; init; }
    public ProbeResult? Probe { get; init; }
    public CanaryFigures? Canaries { get; init; }
    public DrillSnapshot? Snapshot { get; init; }
    public IReadOnlyList<string> PkiArchives { get; init; } = [];
    public IReadOnlyList<DrillStep> Steps { get; init; } = [];
    public IReadOnlyList<MovedDataDir> MovedAside { get; init; } = [];
    public IReadOnlyDictionary<string, string> ToolVersions { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>The error that stopped the drill early, if any.</summary>
    public string? Error { get; init; }

    /// <summary>The drill was cancelled (Ctrl-C, SIGTERM); <see cref="Error"/> says during which step.</summary>
    public bool Interrupted { get; init; }
}
