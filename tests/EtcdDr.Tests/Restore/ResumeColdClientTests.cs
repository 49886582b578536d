using EtcdDr.Restore;
using EtcdDr.Restore.Steps;
using EtcdDr.Topology;

namespace EtcdDr.Tests.Restore;

/// <summary>
/// Found by the crash test (kubeadm, `restore member` killed after its plan record): the resumed process's
/// first etcd calls missed the 3 s dial timeout on a loaded machine (cold TLS), and the step's check before
/// called two healthy members unhealthy and failed the resume. Checks before a step now ask again while the
/// answer is "no connection", and still refuse when the cluster really is unhealthy.
/// </summary>
public class ResumeColdClientTests
{
    private static (RestorePlan Plan, FakeRestoreWorld World) Repair()
    {
        var world = RestoreHarness.WorldFor(RestoreStrategy.RepairMember, EtcdFlavor.Kubeadm);
        return (RestorePlanner.Plan(RestoreHarness.Request(RestoreStrategy.RepairMember, null, "master-2"), world.Topologies, world.Runtimes), world);
    }

    private static RestoreContext WithCluster(RestoreContext context, IRestoreCluster cluster, TimeProvider? time = null) =>
        context with { Cluster = cluster, Time = time ?? context.Time };

    [Fact]
    public async Task Member_remove_check_before_asks_again_when_the_first_answers_miss_the_dial_timeout()
    {
        var (plan, world) = Repair();
        var step = plan.Steps.First(s => s.Kind == StepKind.MemberRemove);
        var context = WithCluster(RestoreHarness.Context(plan, world), new ColdCluster(world.Cluster, failures: 2));
        Assert.Null(await RestoreSteps.For(StepKind.MemberRemove).CheckBeforeAsync(step, context, default));
    }

    [Theory]
    [InlineData(StepKind.MemberAdd)]
    [InlineData(StepKind.PromoteLearner)]
    public async Task Member_list_checks_before_ask_again_when_the_first_answers_miss_the_dial_timeout(StepKind kind)
    {
        var (plan, world) = Repair();
        var step = plan.Steps.First(s => s.Kind == kind);
        var context = WithCluster(RestoreHarness.Context(plan, world), new ColdCluster(world.Cluster, failures: 2));
        Assert.Null(await RestoreSteps.For(kind).CheckBeforeAsync(step, context, default));
    }

    [Fact]
    public async Task Member_update_asks_again_when_the_first_answers_miss_the_dial_timeout()
    {
        var world = RestoreHarness.WorldFor(RestoreStrategy.FromMember, EtcdFlavor.Kubespray);
        var plan = RestorePlanner.Plan(RestoreHarness.Request(RestoreStrategy.FromMember, null, "master-1"), world.Topologies, world.Runtimes);
        var step = plan.Steps.First(s => s.Kind == StepKind.MemberUpdate);
        world.Masters["master-1"].Running = true;
        world.Masters["master-2"].Running = true;
        var context = WithCluster(RestoreHarness.Context(plan, world), new ColdCluster(world.Cluster, failures: 2));
        Assert.NotNull(await RestoreSteps.For(StepKind.MemberUpdate).RunAsync(step, context, default));
    }

    [Fact]
    public async Task An_other_member_that_stays_unhealthy_is_still_refused()
    {
        var (plan, world) = Repair();
        world.Masters["master-3"].Running = false;
        var step = plan.Steps.First(s => s.Kind == StepKind.MemberRemove);
        var context = WithCluster(RestoreHarness.Context(plan, world), world.Cluster, new LeapingTime());
        var problem = await RestoreSteps.For(StepKind.MemberRemove).CheckBeforeAsync(step, context, default);
        Assert.NotNull(problem);
        Assert.Contains("could lose the quorum", problem);
    }

    [Fact]
    public async Task Preflight_of_restore_member_asks_again_when_the_first_answers_miss_the_dial_timeout()
    {
        var (plan, world) = Repair();
        var checks = await RestorePreflight.CheckAsync(plan, world.Runtimes, new ColdCluster(world.Cluster, failures: 1), default);
        var quorum = checks.Single(c => c.Name == "quorum");
        Assert.True(quorum.Ok, quorum.Detail);
    }

    /// <summary>The other direction: a healthy quorum read as lost would let a restore through without --force.</summary>
    [Fact]
    public async Task Preflight_does_not_take_a_missed_dial_for_a_lost_quorum()
    {
        using var dir = new TempDir();
        var world = RestoreHarness.WorldFor(RestoreStrategy.SnapshotAll, EtcdFlavor.Kubespray);
        var plan = RestorePlanner.Plan(RestoreHarness.Request(RestoreStrategy.SnapshotAll, RestoreHarness.Snapshot(dir)), world.Topologies, world.Runtimes);
        foreach (var m in world.Masters.Values)
            m.Running = true;
        var checks = await RestorePreflight.CheckAsync(plan, world.Runtimes, new ColdCluster(world.Cluster, failures: 1), default);
        var quorum = checks.Single(c => c.Name == "quorum");
        Assert.False(quorum.Ok, quorum.Detail);
        Assert.Contains("HEALTHY", quorum.Detail, StringComparison.Ordinal);
    }

    /// <summary>The first <paramref name="failures"/> calls fail as a missed dial does; then the real answers.</summary>
    private sealed class ColdCluster(IRestoreCluster inner, int failures) : IRestoreCluster
    {
        private int _left = failures;

        private void Cold()
        {
            if (Interlocked.Decrement(ref _left) >= 0)
                throw new DrException("https://10.0.0.1:2379: no connection within 3 s (--dial-timeout): is the address right and the port open?", FailureKind.Unreachable);
        }

        public Task<IReadOnlyList<ClusterMember>> MembersAsync(CancellationToken ct)
        {
            Cold();
            return inner.MembersAsync(ct);
        }

        public async Task<IReadOnlyList<EndpointHealth>> HealthAsync(IReadOnlyList<string> clientUrls, CancellationToken ct)
        {
            // As EtcdRestoreCluster does: a failed dial is an unhealthy endpoint, not an exception.
            if (Interlocked.Decrement(ref _left) >= 0)
                return clientUrls.Select(u => new EndpointHealth(u, false, false, 0, "no connection within 3 s (--dial-timeout)")).ToList();
            return await inner.HealthAsync(clientUrls, ct);
        }

        public Task<ClusterMember> AddLearnerAsync(string peerUrl, CancellationToken ct) => inner.AddLearnerAsync(peerUrl, ct);
        public Task RemoveAsync(ulong id, CancellationToken ct) => inner.RemoveAsync(id, ct);
        public Task UpdatePeerUrlAsync(ulong id, string peerUrl, CancellationToken ct) => inner.UpdatePeerUrlAsync(id, peerUrl, ct);
        public Task<bool> TryPromoteAsync(ulong id, CancellationToken ct) => inner.TryPromoteAsync(id, ct);
    }

    /// <summary>Ten seconds pass between any two looks at the clock: a patient check gives up after a few asks.</summary>
    private sealed class LeapingTime : TimeProvider
    {
        private long _ticks = new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero).UtcTicks;

        public override DateTimeOffset GetUtcNow() => new(Interlocked.Add(ref _ticks, TimeSpan.FromSeconds(10).Ticks), TimeSpan.Zero);
    }
}
