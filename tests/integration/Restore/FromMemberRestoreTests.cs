using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Lab;

namespace EtcdDr.IntegrationTests.Restore;

/// <summary>Both flavors: quorum lost (`lose-quorum`), recovered from the surviving member's data: writes made after
/// the last snapshot survive. On kubeadm lose-quorum also leaves kubelet failed on the killed masters (their control
/// plane pods still running): the restore used to time out there in StopControlPlane.</summary>
public class FromMemberRestoreTests
{
    [Theory]
    [InlineData(LabFlavor.Kubespray, 118)]
    [InlineData(LabFlavor.Kubeadm, 142)]
    public async Task From_member_after_lose_quorum_keeps_writes_made_after_the_last_snapshot(LabFlavor flavor, int net)
    {
        await using var lab = await RestoreLab.UpAsync(flavor, net, "from-member");
        await lab.PutAsync("/canary/before", "1");
        await lab.SnapshotAsync(lab.File("snap.db"));
        await lab.PutAsync("/canary/after", "1");
        var configs = await lab.ConfigsAsync();
        await lab.BreakAsync("lose-quorum", 2);
        await lab.Lab.WaitDownAsync(2);
        // Recover from the member that was never killed: a follower killed before it learnt the last commit
        // index loses those entries to force-new-cluster (etcd discards what it does not know as committed).
        var survivor = await lab.SurvivorAsync();

        var plan = await lab.RestoreAsync("plan", "--from-member", $"master-{survivor}");
        RestoreLab.AssertExit(0, plan, "restore plan --from-member");
        var run = await lab.RestoreAsync("run", "--yes", "--from-member", $"master-{survivor}");
        lab.AssertRunExit(0, run, "restore run --from-member");

        Assert.Equal("1", await lab.GetAsync("/canary/before"));
        Assert.Equal("1", await lab.GetAsync("/canary/after"));
        var members = await lab.MembersAsync();
        Assert.Equal(["master-1", "master-2", "master-3"], members.Select(m => m.Name));
        Assert.All(members, m => Assert.False(m.Learner));
        for (var i = 1; i <= 3; i++)
            Assert.Equal("1", await lab.GetAsync("/canary/after", i));
        RestoreLab.AssertConfigsFollowThePlan(configs, await lab.ConfigsAsync(), RestoreLab.PlanOf(run.Stdout));
        // The surviving data was copied aside before force-new-cluster rewrote it.
        await lab.Lab.SshOkAsync(survivor, "test -d /var/lib/etcd.dr-*/member");
    }
}
