using EtcdDr.Restore;
using EtcdDr.Topology;

namespace EtcdDr.Tests.Restore;

/// <summary>Refusals change nothing: no master sees a command that writes, no journal is started.</summary>
public class RestoreRefusalTests
{
    [Theory]
    [InlineData(EtcdFlavor.Kubeadm)]
    [InlineData(EtcdFlavor.Kubespray)]
    public async Task A_healthy_quorum_is_refused_without_force_and_nothing_changes(EtcdFlavor flavor)
    {
        using var dir = new TempDir();
        var world = new FakeRestoreWorld(flavor).AllRunning();
        var paths = world.Masters.Values.Select(m => string.Join(",", m.Paths)).ToList();
        var plan = RestorePlanner.Plan(RestoreHarness.Request(RestoreStrategy.SnapshotAll, RestoreHarness.Snapshot(dir)), world.Topologies, world.Runtimes);
        var preflight = await RestorePreflight.CheckAsync(plan, world.Runtimes, world.Cluster, default);
        var quorum = preflight.Single(c => c.Name == "quorum");
        Assert.False(quorum.Ok);
        Assert.Equal(FailureKind.Refused, quorum.Kind);
        Assert.Contains("HEALTHY", quorum.Detail);
        Assert.Empty(world.Transcript);
        Assert.Equal(paths, world.Masters.Values.Select(m => string.Join(",", m.Paths)).ToList());
        Assert.All(world.Masters.Values, m => Assert.True(m.Running));

        var forced = RestorePlanner.Plan(RestoreHarness.Request(RestoreStrategy.SnapshotAll, RestoreHarness.Snapshot(dir), force: true), world.Topologies, world.Runtimes);
        Assert.True((await RestorePreflight.CheckAsync(forced, world.Runtimes, world.Cluster, default)).Single(c => c.Name == "quorum").Ok);
    }

    [Fact]
    public async Task Restore_member_is_refused_when_another_member_is_down()
    {
        var world = new FakeRestoreWorld(EtcdFlavor.Kubespray).AllRunning();
        world.Masters["master-2"].Running = false;
        world.Masters["master-3"].Running = false;
        var plan = RestorePlanner.Plan(RestoreHarness.Request(RestoreStrategy.RepairMember, null, "master-2"), world.Topologies, world.Runtimes);
        var quorum = (await RestorePreflight.CheckAsync(plan, world.Runtimes, world.Cluster, default)).Single(c => c.Name == "quorum");
        Assert.False(quorum.Ok);
        Assert.Contains("--from-member", quorum.Detail);
        Assert.Empty(world.Transcript);
    }

    [Fact]
    public async Task From_member_without_surviving_data_is_refused()
    {
        var world = new FakeRestoreWorld(EtcdFlavor.Kubespray).AllWiped();
        var plan = RestorePlanner.Plan(RestoreHarness.Request(RestoreStrategy.FromMember, null, "master-3"), world.Topologies, world.Runtimes);
        var check = (await RestorePreflight.CheckAsync(plan, world.Runtimes, world.Cluster, default)).Single(c => c.Name == "surviving data");
        Assert.False(check.Ok);
        Assert.Empty(world.Transcript);
    }

    [Fact]
    public async Task A_failed_check_before_a_step_stops_the_run_there_with_the_journal_and_resume_named()
    {
        using var dir = new TempDir();
        var world = new FakeRestoreWorld(EtcdFlavor.Kubespray).AllWiped();
        var snapshot = RestoreHarness.Snapshot(dir);
        var plan = RestorePlanner.Plan(RestoreHarness.Request(RestoreStrategy.SnapshotAll, snapshot), world.Topologies, world.Runtimes);
        File.Delete(snapshot.LocalPath); // the local copy vanished: staging cannot start
        var journal = RestoreJournal.Create(dir.File("j.journal"), plan, TimeProvider.System);
        var ex = await Assert.ThrowsAsync<RestoreStepFailedException>(() => new RestoreRunner(RestoreHarness.Context(plan, world), journal).RunAsync(0, default));
        Assert.Equal(FailureKind.StepFailed, ex.Kind);
        Assert.Contains("restore resume", ex.Message);
        Assert.Contains(journal.Path, ex.Message);
        Assert.Empty(world.Transcript);
        Assert.Equal(0, RestoreJournal.Read(journal.Path).NextStep);
    }

    [Fact]
    public async Task A_staged_copy_that_does_not_hash_right_on_the_master_fails_before_anything_else()
    {
        using var dir = new TempDir();
        var world = new FakeRestoreWorld(EtcdFlavor.Kubespray).AllWiped();
        var snapshot = RestoreHarness.Snapshot(dir) with { Sha256 = new string('0', 64) };
        var plan = RestorePlanner.Plan(RestoreHarness.Request(RestoreStrategy.SnapshotAll, snapshot), world.Topologies, world.Runtimes);
        var journal = RestoreJournal.Create(dir.File("j.journal"), plan, TimeProvider.System);
        var ex = await Assert.ThrowsAsync<RestoreStepFailedException>(() => new RestoreRunner(RestoreHarness.Context(plan, world), journal).RunAsync(0, default));
        Assert.Equal(StepKind.StageSnapshot, ex.Step.Kind);
        Assert.Contains("damaged", ex.Message);
        Assert.DoesNotContain(world.Transcript, l => l.Contains("Stop", StringComparison.Ordinal) || l.Contains("Move", StringComparison.Ordinal));
    }
}
