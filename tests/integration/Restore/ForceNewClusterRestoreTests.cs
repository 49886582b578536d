using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Lab;

namespace EtcdDr.IntegrationTests.Restore;

/// <summary>Both flavors: force-new-cluster from an encrypted snapshot after `wipe-data` on every master; a wrongly
/// keyed snapshot is refused first and changes nothing.</summary>
public class ForceNewClusterRestoreTests
{
    [Theory]
    [InlineData(LabFlavor.Kubespray, 117)]
    [InlineData(LabFlavor.Kubeadm, 141)]
    public async Task Force_new_cluster_after_wipe_data_on_every_master(LabFlavor flavor, int net)
    {
        await using var lab = await RestoreLab.UpAsync(flavor, net, "force-new-cluster");
        var right = lab.File("right.key");
        var wrong = lab.File("wrong.key");
        var recipient = await KeyAsync(lab, right);
        await KeyAsync(lab, wrong);
        await lab.PutAsync("/canary/before", "1");
        var snapshot = lab.File("snap.db.age");
        await lab.SnapshotAsync(snapshot, "-r", recipient);
        await lab.PutAsync("/canary/after", "1");
        var configs = await lab.ConfigsAsync();
        for (var i = 1; i <= 3; i++)
            await lab.BreakAsync("wipe-data", i);
        var broken = lab.HashMasters();
        lab.AssertHashesCover(broken, dataDir: true);

        RestoreLab.AssertExit(3, await lab.RestoreAsync("run", "--yes", "--strategy", "force-new-cluster", "--snapshot", snapshot, "--identity", wrong),
            "restore from a snapshot with the wrong key");
        RestoreLab.AssertUnchanged(broken, lab.HashMasters(), "a refused restore (wrong key)");

        var run = await lab.RestoreAsync("run", "--yes", "--strategy", "force-new-cluster", "--snapshot", snapshot, "--identity", right);
        lab.AssertRunExit(0, run, "restore run (force-new-cluster)");

        Assert.Equal("1", await lab.GetAsync("/canary/before"));
        Assert.Null(await lab.GetAsync("/canary/after"));
        var members = await lab.MembersAsync();
        Assert.Equal(["master-1", "master-2", "master-3"], members.Select(m => m.Name));
        Assert.All(members, m => Assert.False(m.Learner));
        Assert.Equal(new[] { 1, 2, 3 }.Select(i => $"https://{lab.Lab.Address(i)}:2380"), members.Select(m => m.PeerUrl));
        var plan = RestoreLab.PlanOf(run.Stdout);
        // force-new-cluster was set for one start, then taken out again: it must not be left in any file.
        Assert.Contains(plan.Steps, s => s.Settings?.ContainsKey("force-new-cluster") == true);
        RestoreLab.AssertConfigsFollowThePlan(configs, await lab.ConfigsAsync(), plan);
        for (var i = 1; i <= 3; i++)
            Assert.DoesNotContain("FORCE_NEW_CLUSTER", (await lab.CatAsync(i, lab.ConfigFile)).Replace('-', '_').ToUpperInvariant());
    }

    private static async Task<string> KeyAsync(RestoreLab lab, string path)
    {
        var (exit, stdout, stderr) = await lab.CliAsync("key", "generate", "-o", path);
        Assert.True(exit == 0, stderr);
        var all = stdout + stderr;
        return all[all.IndexOf("age1", StringComparison.Ordinal)..].Split('\n')[0].Trim();
    }
}
