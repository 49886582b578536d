using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Lab;

namespace EtcdDr.IntegrationTests.Restore;

/// <summary>Kubespray masters, force-new-cluster from an encrypted snapshot after `wipe-data` on every master; a wrongly
/// keyed snapshot is refused first and changes nothing. (kubeadm: see the report; the lab's kubeadm image is tagged
/// 3.5.16 over an etcd 3.4 binary, so the runtime's in-image etcdutl restore pod never runs there.)</summary>
public class ForceNewClusterRestoreTests
{
    [Fact]
    public async Task Force_new_cluster_after_wipe_data_on_every_master()
    {
        await using var lab = await RestoreLab.UpAsync(LabFlavor.Kubespray, 117, "force-new-cluster");
        var right = lab.File("right.key");
        var wrong = lab.File("wrong.key");
        var recipient = await KeyAsync(lab, right);
        await KeyAsync(lab, wrong);
        await lab.PutAsync("/canary/before", "1");
        var snapshot = lab.File("snap.db.age");
        await lab.SnapshotAsync(snapshot, "-r", recipient);
        await lab.PutAsync("/canary/after", "1");
        var manifests = new List<string>();
        for (var i = 1; i <= 3; i++)
            manifests.Add(await lab.CatAsync(i, "/etc/etcd.env"));
        for (var i = 1; i <= 3; i++)
            await lab.BreakAsync("wipe-data", i);
        var broken = lab.HashMasters();

        RestoreLab.AssertExit(3, await lab.RestoreAsync("run", "--yes", "--strategy", "force-new-cluster", "--snapshot", snapshot, "--identity", wrong),
            "restore from a snapshot with the wrong key");
        RestoreLab.AssertUnchanged(broken, lab.HashMasters(), "a refused restore (wrong key)");

        var run = await lab.RestoreAsync("run", "--yes", "--strategy", "force-new-cluster", "--snapshot", snapshot, "--identity", right);
        RestoreLab.AssertExit(0, run, "restore run (force-new-cluster)");

        Assert.Equal("1", await lab.GetAsync("/canary/before"));
        Assert.Null(await lab.GetAsync("/canary/after"));
        var members = await lab.MembersAsync();
        Assert.Equal(["master-1", "master-2", "master-3"], members.Select(m => m.Name));
        Assert.All(members, m => Assert.False(m.Learner));
        Assert.Equal(new[] { 1, 2, 3 }.Select(i => $"https://{lab.Lab.Address(i)}:2380"), members.Select(m => m.PeerUrl));
        var named = RestoreLab.NamedSettings(run.Stdout);
        for (var i = 1; i <= 3; i++)
        {
            var after = await lab.CatAsync(i, "/etc/etcd.env");
            RestoreLab.AssertOnlySettingsChanged(manifests[i - 1], after, named, $"master-{i} /etc/etcd.env");
            Assert.DoesNotContain("FORCE_NEW_CLUSTER", after);
        }
    }

    private static async Task<string> KeyAsync(RestoreLab lab, string path)
    {
        var (exit, stdout, stderr) = await lab.CliAsync("key", "generate", "-o", path);
        Assert.True(exit == 0, stderr);
        var all = stdout + stderr;
        return all[all.IndexOf("age1", StringComparison.Ordinal)..].Split('\n')[0].Trim();
    }
}
