using EtcdDr.Lab;
using Xunit.Abstractions;

namespace EtcdDr.IntegrationTests.Restore.Crash;

// One class per strategy and flavor: xunit runs classes in parallel (four at a time), each on its own net
// (160-167). Each kills the restore at every step boundary of its plan, one lab throughout (RestoreCrashRun).

public sealed class CrashKubeadmSnapshotAllTests(ITestOutputHelper output)
{
    [Fact] public Task Killed_at_every_step_boundary_then_resumed() => new RestoreCrashRun(LabFlavor.Kubeadm, CrashStrategy.SnapshotAll, 160, output).RunAsync();
}

public sealed class CrashKubeadmForceNewClusterTests(ITestOutputHelper output)
{
    [Fact] public Task Killed_at_every_step_boundary_then_resumed() => new RestoreCrashRun(LabFlavor.Kubeadm, CrashStrategy.ForceNewCluster, 161, output).RunAsync();
}

public sealed class CrashKubeadmFromMemberTests(ITestOutputHelper output)
{
    // Seen 2026-12-06 in this test: after the kill at begin:2, the resume's StopControlPlane on master-1 and master-2 (the
    // masters lose-quorum killed etcd on) timed out (the stand-in API server still listened on :6443 after 120 s).
    // The same failure as DrillKubeadmQuorumTests.Lose_quorum, owned by the restore-proof fix; re-enable with it.
    [Fact(Skip = "known failure: restore --from-member on kubeadm after lose-quorum times out in StopControlPlane (the stand-in API server still listens on :6443 after 120 s); being fixed on branch restore-proof")]
    public Task Killed_at_every_step_boundary_then_resumed() => new RestoreCrashRun(LabFlavor.Kubeadm, CrashStrategy.FromMember, 162, output).RunAsync();
}

public sealed class CrashKubeadmRepairMemberTests(ITestOutputHelper output)
{
    [Fact] public Task Killed_at_every_step_boundary_then_resumed() => new RestoreCrashRun(LabFlavor.Kubeadm, CrashStrategy.RepairMember, 163, output).RunAsync();
}

public sealed class CrashKubespraySnapshotAllTests(ITestOutputHelper output)
{
    [Fact] public Task Killed_at_every_step_boundary_then_resumed() => new RestoreCrashRun(LabFlavor.Kubespray, CrashStrategy.SnapshotAll, 164, output).RunAsync();
}

public sealed class CrashKubesprayForceNewClusterTests(ITestOutputHelper output)
{
    [Fact] public Task Killed_at_every_step_boundary_then_resumed() => new RestoreCrashRun(LabFlavor.Kubespray, CrashStrategy.ForceNewCluster, 165, output).RunAsync();
}

public sealed class CrashKubesprayFromMemberTests(ITestOutputHelper output)
{
    [Fact] public Task Killed_at_every_step_boundary_then_resumed() => new RestoreCrashRun(LabFlavor.Kubespray, CrashStrategy.FromMember, 166, output).RunAsync();
}

public sealed class CrashKubesprayRepairMemberTests(ITestOutputHelper output)
{
    [Fact] public Task Killed_at_every_step_boundary_then_resumed() => new RestoreCrashRun(LabFlavor.Kubespray, CrashStrategy.RepairMember, 167, output).RunAsync();
}
