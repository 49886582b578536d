using System.Text.Json;
using EtcdDr.Restore;
using EtcdDr.Topology;

namespace EtcdDr.Tests.Restore;

public class RestoreJournalTests
{
    private static (RestorePlan Plan, FakeRestoreWorld World) Planned(TempDir dir, RestoreStrategy strategy = RestoreStrategy.ForceNewCluster, EtcdFlavor flavor = EtcdFlavor.Kubeadm)
    {
        var world = RestoreHarness.WorldFor(strategy, flavor);
        var snapshot = strategy is RestoreStrategy.SnapshotAll or RestoreStrategy.ForceNewCluster ? RestoreHarness.Snapshot(dir) : null;
        var member = strategy == RestoreStrategy.FromMember ? "master-1" : null;
        return (RestorePlanner.Plan(RestoreHarness.Request(strategy, snapshot, member), world.Topologies, world.Runtimes), world);
    }

    [Fact]
    public void The_journal_holds_the_plan_request_and_topology_as_planned()
    {
        using var dir = new TempDir();
        var (plan, _) = Planned(dir);
        var journal = RestoreJournal.Create(dir.File("j.journal"), plan, TimeProvider.System);
        var read = RestoreJournal.Read(journal.Path).Plan;
        Assert.Equal(JsonSerializer.Serialize(plan, RestoreJournal.Json), JsonSerializer.Serialize(read, RestoreJournal.Json));
        Assert.Equal(plan.Topology[1].ConfigText, read.Topology[1].ConfigText);
        Assert.Equal(plan.Request.Snapshot, read.Request.Snapshot);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(journal.Path));
    }

    [Fact]
    public void A_second_journal_with_the_same_stamp_is_refused()
    {
        using var dir = new TempDir();
        var (plan, _) = Planned(dir);
        RestoreJournal.Create(dir.File("j.journal"), plan, TimeProvider.System);
        Assert.Equal(FailureKind.Refused, Assert.Throws<DrException>(() => RestoreJournal.Create(dir.File("j.journal"), plan, TimeProvider.System)).Kind);
    }

    [Fact]
    public async Task A_torn_last_line_is_ignored_and_its_step_is_redone()
    {
        using var dir = new TempDir();
        var (plan, world) = Planned(dir);
        var journal = RestoreJournal.Create(dir.File("j.journal"), plan, TimeProvider.System);
        journal.Begin(plan.Steps[0]);
        journal.End(plan.Steps[0], null, 1);
        File.AppendAllText(journal.Path, "{\"type\":\"begin\",\"at\":\"2026-12-");
        var state = RestoreJournal.Read(journal.Path);
        Assert.Equal(1, state.NextStep);
        Assert.False(state.IsFinished);
        await Task.CompletedTask;
        _ = world;
    }

    [Fact]
    public void A_damaged_line_before_the_last_is_an_integrity_failure()
    {
        using var dir = new TempDir();
        var (plan, _) = Planned(dir);
        var journal = RestoreJournal.Create(dir.File("j.journal"), plan, TimeProvider.System);
        File.AppendAllText(journal.Path, "garbage\n");
        journal.Begin(plan.Steps[0]);
        Assert.Equal(FailureKind.Integrity, Assert.Throws<DrException>(() => RestoreJournal.Read(journal.Path)).Kind);
    }

    public static TheoryData<RestoreStrategy, int> KillPoints()
    {
        var data = new TheoryData<RestoreStrategy, int>();
        foreach (var s in new[] { RestoreStrategy.SnapshotAll, RestoreStrategy.ForceNewCluster, RestoreStrategy.FromMember })
            foreach (var k in new[] { 0, 3, 6, 9, 12, 15, 18 })
                data.Add(s, k);
        return data;
    }

    /// <summary>The orchestrator dies right after step k acted and before its "end" record: resume starts at k,
    /// runs its check and its (idempotent) action again, never redoes an earlier step, and ends healthy.</summary>
    [Theory]
    [MemberData(nameof(KillPoints))]
    public async Task A_run_killed_after_step_k_resumes_at_k_rechecking_it(RestoreStrategy strategy, int k)
    {
        using var dir = new TempDir();
        var (plan, world) = Planned(dir, strategy);
        if (k >= plan.Steps.Count)
            k = plan.Steps.Count - 2;
        var step = plan.Steps[k];
        var journal = RestoreJournal.Create(dir.File("j.journal"), plan, TimeProvider.System);
        var killed = false;
        try
        {
            await new RestoreRunner(RestoreHarness.Context(plan, world), journal,
                new Inline(e => { if (e.Step.Index == k && e.State == "running") throw new KilledAtException(); })).RunAsync(0, default);
        }
        catch (Exception ex) when (ex is KilledAtException || ex.InnerException is KilledAtException)
        {
            killed = true;
        }
        Assert.True(killed);
        var state = RestoreJournal.Read(journal.Path);
        Assert.Equal(k, state.NextStep);
        Assert.Contains(k, state.Begun);
        // Make it a real "after the action": do step k's action once more by hand as the dead run would have.
        var before = world.Transcript.Count;

        var resumed = RestoreJournal.Open(journal.Path, TimeProvider.System);
        await new RestoreRunner(RestoreHarness.Context(state.Plan, world, state.Begun), resumed).RunAsync(state.NextStep, default);
        var after = RestoreJournal.Read(journal.Path);
        Assert.True(after.IsFinished);
        Assert.Equal(1, after.Records.Count(r => r.Type == "end" && r.Step == k));
        Assert.All(Enumerable.Range(0, k), i => Assert.Equal(1, after.Records.Count(r => r.Type == "begin" && r.Step == i)));
        Assert.Equal(["master-1", "master-2", "master-3"], world.Members.Select(m => m.Name).Order());
        Assert.All(world.Members, m => Assert.False(m.IsLearner));
        Assert.True(world.Transcript.Count > before);
        _ = step;
    }

    /// <summary>Killed AFTER the action of each step (the fake throws once the action is done): resume redoes the
    /// step and the end state is the same as an uninterrupted run's.</summary>
    [Theory]
    [InlineData(RestoreStrategy.SnapshotAll, EtcdFlavor.Kubespray)]
    [InlineData(RestoreStrategy.ForceNewCluster, EtcdFlavor.Kubeadm)]
    [InlineData(RestoreStrategy.FromMember, EtcdFlavor.Kubespray)]
    public async Task Every_kill_point_after_an_action_resumes_to_the_same_end_state(RestoreStrategy strategy, EtcdFlavor flavor)
    {
        using var reference = new TempDir();
        var (plan0, world0) = Planned(reference, strategy, flavor);
        await new RestoreRunner(RestoreHarness.Context(plan0, world0), RestoreJournal.Create(reference.File("j"), plan0, TimeProvider.System)).RunAsync(0, default);
        var actions = world0.Transcript.Where(l => !l.Contains(": $ ", StringComparison.Ordinal) && !l.StartsWith("cluster", StringComparison.Ordinal)).ToList();
        var tried = 0;
        foreach (var action in actions.Distinct())
        {
            using var dir = new TempDir();
            var (plan, world) = Planned(dir, strategy, flavor);
            var parts = action.Split(": ", 2);
            world.KillAfter = parts[1].Split(' ')[0] + " " + parts[0];
            var journal = RestoreJournal.Create(dir.File("j"), plan, TimeProvider.System);
            await Assert.ThrowsAsync<KilledException>(() => new RestoreRunner(RestoreHarness.Context(plan, world), journal).RunAsync(0, default));
            var state = RestoreJournal.Read(journal.Path);
            await new RestoreRunner(RestoreHarness.Context(state.Plan, world, state.Begun), RestoreJournal.Open(journal.Path, TimeProvider.System)).RunAsync(state.NextStep, default);
            Assert.True(RestoreJournal.Read(journal.Path).IsFinished, action);
            Assert.Equal(world0.Members.Select(m => (m.Name, m.PeerUrls[0], m.IsLearner)).Order(), world.Members.Select(m => (m.Name, m.PeerUrls[0], m.IsLearner)).Order());
            Assert.Equal(world0.Masters.Values.Select(m => string.Join(",", m.Paths.Keys)), world.Masters.Values.Select(m => string.Join(",", m.Paths.Keys.Where(p => !p.Contains("-partial-", StringComparison.Ordinal)))));
            tried++;
        }
        Assert.True(tried >= 5, $"only {tried} kill points");
    }

    [Fact]
    public void One_run_at_a_time_the_lock_refuses_a_second()
    {
        using var dir = new TempDir();
        using (RestoreLock.Acquire(dir.File("restore-prod.lock")))
        {
            var ex = Assert.Throws<DrException>(() => RestoreLock.Acquire(dir.File("restore-prod.lock")));
            Assert.Equal(FailureKind.Busy, ex.Kind);
        }
        using var again = RestoreLock.Acquire(dir.File("restore-prod.lock"));
    }

    [Fact]
    public void Resume_refuses_a_journal_planned_for_other_masters()
    {
        var world = new FakeRestoreWorld(EtcdFlavor.Kubespray);
        var journaled = world.Topologies;
        var masters = journaled.Select(t => new EtcdDr.Remote.MasterHost(t.Host, "10.0.0.1")).ToList();
        var same = masters.Select((m, i) => new EtcdDr.Remote.DiscoveredMaster(m, journaled[i], null)).ToList();
        RestoreSession.CheckMatches(journaled, same);
        // A master that cannot be read now (a stopped kubeadm master) cannot contradict the plan.
        RestoreSession.CheckMatches(journaled, same.Select((d, i) => i == 0 ? d with { Topology = null, Error = new DrException("stopped") } : d).ToList());
        var otherDir = same.Select((d, i) => i == 1 ? d with { Topology = d.Topology! with { DataDir = "/data/etcd" } } : d).ToList();
        Assert.Equal(FailureKind.Refused, Assert.Throws<DrException>(() => RestoreSession.CheckMatches(journaled, otherDir)).Kind);
        Assert.Equal(FailureKind.Refused, Assert.Throws<DrException>(() => RestoreSession.CheckMatches(journaled, same.Take(2).ToList())).Kind);
    }

    private sealed class KilledAtException : Exception;

    private sealed class Inline(Action<StepEvent> report) : IProgress<StepEvent>
    {
        public void Report(StepEvent value) => report(value);
    }
}
