using EtcdDr.Drill;
using static EtcdDr.Tests.Drill.DrillSamples;

namespace EtcdDr.Tests.Drill;

public sealed class DrillAnalysisTests
{
    [Fact]
    public void Rpo_is_the_newest_acknowledged_canary_against_the_newest_that_came_back()
    {
        var writes = Writes(30); // #30 written at t = 3.9
        var figures = DrillAnalysis.Canaries(writes, Enumerable.Range(1, 21).Select(i => (long)i).ToHashSet(), ackedBeforeSnapshot: 15); // #21 at t = 3.0
        Assert.Equal(30, figures.NewestWrittenSequence);
        Assert.Equal(21, figures.NewestRecoveredSequence);
        Assert.Equal(9, figures.LostAcked);
        Assert.Equal(0, figures.Holes);
        Assert.Equal(0, figures.MissingFromSnapshot);
        Assert.Equal(0.9, DrillAnalysis.Rpo(figures)!.Value, 3);
    }

    [Fact]
    public void Rpo_is_zero_when_every_acknowledged_canary_came_back_even_with_unacknowledged_ones_missing()
    {
        var writes = Writes(10);
        writes.Add(new CanaryWrite(11, At(2.0), null, "deadline exceeded"));
        var figures = DrillAnalysis.Canaries(writes, Enumerable.Range(1, 10).Select(i => (long)i).ToHashSet(), 5);
        Assert.Equal(0, DrillAnalysis.Rpo(figures));
        Assert.Equal(1, figures.FailedWrites);
        Assert.Contains("deadline exceeded", figures.FailedWriteErrors[0], StringComparison.Ordinal);
    }

    [Fact]
    public void A_canary_missing_from_the_middle_is_a_hole_and_one_from_before_the_snapshot_is_counted()
    {
        var figures = DrillAnalysis.Canaries(Writes(20), new HashSet<long> { 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, ackedBeforeSnapshot: 6);
        Assert.Equal(1, figures.Holes);               // #3
        Assert.Equal(1, figures.MissingFromSnapshot); // #3 again
        Assert.Equal(9, figures.LostAcked);           // #3 and #13..#20
    }

    [Fact]
    public void Nothing_back_gives_no_rpo_and_fails_the_snapshot_check()
    {
        var figures = DrillAnalysis.Canaries(Writes(10), new HashSet<long>(), 5);
        Assert.Null(DrillAnalysis.Rpo(figures));
        var report = DrillAnalysis.Report(DrillScenario.Of(DrillScenarioKind.WipeAll),
            new DrillRunRecord { StartedAt = T0, OutageAt = At(6), Probe = new ProbeResult(At(6), At(9), At(10), 40, 39, "x"), Canaries = figures, Steps = Steps(6, 9, 10), Snapshot = new DrillSnapshot("s", 1, 1, "ab", true, null, null, T0) },
            new DrillContext("r", "lab", "kubeadm", "lab", ["master-1"]), At(11));
        Assert.False(report.Passed);
        Assert.StartsWith("canaries from before the snapshot intact", report.FailedCheck, StringComparison.Ordinal);
    }

    [Fact]
    public void Rto_is_outage_to_recovered_and_equals_the_cluster_steps_in_that_window()
    {
        var report = Report();
        Assert.Equal(7.0, report.RtoSeconds!.Value, 3);
        // fault 0.8 + restore 5.2 + wait 1.0; the host lane's own restore step is not added twice.
        Assert.Equal(7.0, report.RecoveryStepsSeconds!.Value, 3);
        var check = Assert.Single(report.Checks, c => c.Name == "RTO equals the recorded steps");
        Assert.True(check.Passed, check.Detail);
        Assert.True(report.Passed, report.FailedCheck);
    }

    [Fact]
    public void A_gap_in_the_timeline_fails_the_rto_consistency_check()
    {
        // The restore step ends at 9 but nothing accounts for 9..16 before recovery at 16.
        var steps = Steps(6, 9, 16).Where(s => s.Name != "cluster serving again (probe)").ToList();
        var run = new DrillRunRecord
        {
            StartedAt = T0,
            OutageAt = At(6),
            Probe = new ProbeResult(At(6), At(15), At(16), 100, 99, "x"),
            Canaries = DrillAnalysis.Canaries(Writes(20), Enumerable.Range(1, 20).Select(i => (long)i).ToHashSet(), 5),
            Snapshot = new DrillSnapshot("s", 1, 1, "ab", true, null, null, T0),
            Steps = steps,
        };
        var report = DrillAnalysis.Report(DrillScenario.Of(DrillScenarioKind.WipeAll), run, new DrillContext("r", "lab", "kubeadm", "lab", ["master-1"]), At(17));
        var check = Assert.Single(report.Checks, c => c.Name == "RTO equals the recorded steps");
        Assert.False(check.Passed);
        Assert.Contains("RTO 10.00 s", check.Detail, StringComparison.Ordinal);
        Assert.Contains("steps from outage to recovery 3.00 s", check.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_member_fails_on_a_single_failed_write_and_on_any_lost_canary()
    {
        var writes = Writes(30);
        writes[12] = writes[12] with { AckedAt = null, Error = "etcdserver: request timed out" };
        var all = Enumerable.Range(1, 30).Where(i => i != 13).Select(i => (long)i).ToHashSet();
        var run = new DrillRunRecord
        {
            StartedAt = T0,
            OutageAt = At(6),
            Probe = new ProbeResult(At(6), At(6), At(9), 30, 29, "2 of 3 members healthy"),
            Canaries = DrillAnalysis.Canaries(writes, all, 5),
            Snapshot = new DrillSnapshot("s", 1, 1, "ab", true, null, null, T0),
            Steps = Steps(6, 8.5, 9),
        };
        var scenario = DrillScenario.Of(DrillScenarioKind.CorruptMember);
        var report = DrillAnalysis.Report(scenario, run, new DrillContext("r", "lab", "kubeadm", "lab", ["master-1"]), At(10));
        Assert.False(report.Passed);
        Assert.StartsWith("no failed write for clients of the healthy quorum: 1 of 30 writes failed", report.FailedCheck, StringComparison.Ordinal);

        // Without the failed write but with one acknowledged canary lost, RPO must be zero and is not.
        var lost = DrillAnalysis.Canaries(Writes(30), Enumerable.Range(1, 29).Select(i => (long)i).ToHashSet(), 5);
        var second = DrillAnalysis.Report(scenario, run with { Canaries = lost }, new DrillContext("r", "lab", "kubeadm", "lab", ["master-1"]), At(10));
        Assert.StartsWith("RPO is zero", second.FailedCheck, StringComparison.Ordinal);
    }

    [Fact]
    public void A_fault_the_probe_never_noticed_fails_the_drill()
    {
        var run = new DrillRunRecord
        {
            StartedAt = T0,
            OutageAt = At(6),
            Probe = new ProbeResult(At(6.1), At(6.1), At(6.1), 1, 0, null),
            Canaries = DrillAnalysis.Canaries(Writes(10), Enumerable.Range(1, 10).Select(i => (long)i).ToHashSet(), 5),
            Snapshot = new DrillSnapshot("s", 1, 1, "ab", true, null, null, T0),
            Steps = [new(DrillStep.ClusterLane, "fault", "f", At(6), At(6.05)), new(DrillStep.ClusterLane, "restore", "r", At(6.05), At(6.1))],
        };
        var report = DrillAnalysis.Report(DrillScenario.Of(DrillScenarioKind.LoseQuorum), run, new DrillContext("r", "lab", "kubeadm", "lab", ["master-1"]), At(7));
        Assert.StartsWith("the fault took effect", report.FailedCheck, StringComparison.Ordinal);
    }

    [Fact]
    public void A_drill_that_stopped_early_names_the_error_first_and_has_no_rto()
    {
        var run = new DrillRunRecord { StartedAt = T0, Error = "master-2: restore run exited 5: healthy quorum", Steps = Steps(6, 9, 10) };
        var report = DrillAnalysis.Report(DrillScenario.Of(DrillScenarioKind.WipeAll), run, new DrillContext("r", "lab", "kubeadm", "lab", ["master-1"]), At(11));
        Assert.False(report.Passed);
        Assert.Equal("drill ran to the end: master-2: restore run exited 5: healthy quorum", report.FailedCheck);
        Assert.Null(report.RtoSeconds);
    }

    [Theory]
    [InlineData("all", 6)]
    [InlineData("lose-quorum", 1)]
    [InlineData("from-store", 1)]
    public void Scenarios_parse_by_name(string name, int count) => Assert.Equal(count, DrillScenario.Parse(name).Count);

    [Fact]
    public void An_unknown_scenario_is_a_usage_error_naming_the_choices()
    {
        var ex = Assert.Throws<DrException>(() => DrillScenario.Parse("lose-everything"));
        Assert.Equal(FailureKind.Usage, ex.Kind);
        Assert.Contains("lose-quorum, wipe-all", ex.Message, StringComparison.Ordinal);
    }
}

public sealed class DrillRestoreCheckTests
{
    [Fact]
    public void A_failed_restore_after_a_successful_replacement_fails_the_restore_check()
    {
        var steps = new List<DrillStep>
        {
            new(DrillStep.ClusterLane, "fault", "master lost", At(6), At(6.2)),
            new(DrillStep.ClusterLane, "restore", "replacement for master-2 provisioned", At(6.2), At(7)),
            new(DrillStep.ClusterLane, "restore", "restore member master-2 --replace", At(7), At(30), null, "step 7 (StartEtcd on master-2) failed"),
        };
        var run = new DrillRunRecord { StartedAt = T0, OutageAt = At(6), Steps = steps, Error = "restore failed" };
        var checks = DrillAnalysis.Checks(DrillScenario.Of(DrillScenarioKind.LoseMaster), run);
        var restore = Assert.Single(checks, c => c.Name == "restore finished");
        Assert.False(restore.Passed);
        Assert.Equal("step 7 (StartEtcd on master-2) failed", restore.Detail);

        var ok = DrillAnalysis.Checks(DrillScenario.Of(DrillScenarioKind.LoseMaster), run with { Steps = [steps[0], steps[1], steps[2] with { Error = null }], Error = null });
        Assert.Equal("restore member master-2 --replace in 23.0 s", Assert.Single(ok, c => c.Name == "restore finished").Detail);
    }
}
