using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Lab;

namespace EtcdDr.IntegrationTests.Restore;

/// <summary>Kubespray masters, quorum lost (`lose-quorum`), recovered from master-1's surviving data: writes made
/// after the last snapshot survive.</summary>
public class FromMemberRestoreTests
{
    [Fact]
    public async Task From_member_after_lose_quorum_keeps_writes_made_after_the_last_snapshot()
    {
        await using var lab = await RestoreLab.UpAsync(LabFlavor.Kubespray, 118, "from-member");
        await lab.PutAsync("/canary/before", "1");
        await lab.SnapshotAsync(lab.File("snap.db"));
        await lab.PutAsync("/canary/after", "1");
        await lab.BreakAsync("lose-quorum", 2);
        await lab.Lab.WaitDownAsync(2);
        // Recover from the member that was never killed: a follower killed before it learnt the last commit
        // index loses those entries to force-new-cluster (etcd discards what it does not know as committed).
        var survivor = 0;
        for (var i = 1; i <= 3 && survivor == 0; i++)
            survivor = (await lab.Lab.SshAsync(i, "systemctl is-active etcd")).ExitCode == 0 ? i : 0;
        Assert.True(survivor > 0, "no member survived lose-quorum");

        var plan = await lab.RestoreAsync("plan", "--from-member", $"master-{survivor}");
        RestoreLab.AssertExit(0, plan, "restore plan --from-member");
        var run = await lab.RestoreAsync("run", "--yes", "--from-member", $"master-{survivor}");
        RestoreLab.AssertExit(0, run, "restore run --from-member");

        Assert.Equal("1", await lab.GetAsync("/canary/before"));
        Assert.Equal("1", await lab.GetAsync("/canary/after"));
        var members = await lab.MembersAsync();
        Assert.Equal(["master-1", "master-2", "master-3"], members.Select(m => m.Name));
        Assert.All(members, m => Assert.False(m.Learner));
        for (var i = 1; i <= 3; i++)
            Assert.Equal("1", await lab.GetAsync("/canary/after", i));
        // The surviving data was copied aside before force-new-cluster rewrote it.
        await lab.Lab.SshOkAsync(survivor, "test -d /var/lib/etcd.dr-*/member");
    }
}
