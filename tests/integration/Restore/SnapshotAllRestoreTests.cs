using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Lab;

namespace EtcdDr.IntegrationTests.Restore;

/// <summary>Both flavors: snapshot-all after `wipe-data` on every master; and every refusal (healthy quorum without
/// --force, an unreachable master, a corrupted snapshot) leaves every file on every master as it was.</summary>
public class SnapshotAllRestoreTests
{
    [Theory]
    [InlineData(LabFlavor.Kubespray, 116)]
    [InlineData(LabFlavor.Kubeadm, 140)]
    public async Task Snapshot_all_after_wipe_data_on_every_master_and_refusals_change_nothing(LabFlavor flavor, int net)
    {
        await using var lab = await RestoreLab.UpAsync(flavor, net, "snapshot-all");
        await lab.PutAsync("/canary/before", "1");
        var snapshot = lab.File("snap.db");
        await lab.SnapshotAsync(snapshot);
        await lab.PutAsync("/canary/after", "1");
        var configs = await lab.ConfigsAsync();

        // Refused: the quorum is healthy and there is no --force.
        var live = lab.HashMasters(skipLiveEtcd: true);
        lab.AssertHashesCover(live, dataDir: false);
        RestoreLab.AssertExit(5, await lab.RestoreAsync("run", "--yes", "--snapshot", snapshot), "restore over a healthy quorum");
        RestoreLab.AssertUnchanged(live, lab.HashMasters(skipLiveEtcd: true), "a refused restore (healthy quorum)");

        // Refused: one master cannot be reached (an inventory whose master-3 answers nowhere).
        var unreachable = lab.File("unreachable.yaml");
        File.WriteAllText(unreachable, File.ReadAllText(lab.Inventory).Replace(lab.Lab.Address(3), lab.Lab.Address(9), StringComparison.Ordinal));
        var cut = await lab.CliAsync("restore", "run", "--yes", "--force", "--snapshot", snapshot, "-i", unreachable, "--state-dir", lab.StateDir);
        RestoreLab.AssertExit(4, cut, "restore with an unreachable master");
        Assert.Contains("--replace", cut.Stderr);
        RestoreLab.AssertUnchanged(live, lab.HashMasters(skipLiveEtcd: true), "a refused restore (unreachable master)");

        for (var i = 1; i <= 3; i++)
            await lab.BreakAsync("wipe-data", i);
        var broken = lab.HashMasters();
        lab.AssertHashesCover(broken, dataDir: true);

        // Refused: a corrupted snapshot (one flipped byte inside, manifest beside it).
        var corrupt = lab.File("corrupt.db");
        var bytes = File.ReadAllBytes(snapshot);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(corrupt, bytes);
        File.Copy(snapshot + ".manifest.json", corrupt + ".manifest.json");
        RestoreLab.AssertExit(3, await lab.RestoreAsync("run", "--yes", "--snapshot", corrupt), "restore from a corrupted snapshot");
        RestoreLab.AssertUnchanged(broken, lab.HashMasters(), "a refused restore (corrupted snapshot)");

        var run = await lab.RestoreAsync("run", "--yes", "--snapshot", snapshot);
        lab.AssertRunExit(0, run, "restore run (snapshot-all)");

        Assert.Equal("1", await lab.GetAsync("/canary/before"));
        Assert.Null(await lab.GetAsync("/canary/after"));
        var members = await lab.MembersAsync();
        Assert.Equal(["master-1", "master-2", "master-3"], members.Select(m => m.Name));
        Assert.All(members, m => Assert.False(m.Learner));
        for (var i = 1; i <= 3; i++)
            Assert.True(await lab.Lab.MemberHealthyAsync(i), $"master-{i} healthy");
        RestoreLab.AssertConfigsFollowThePlan(configs, await lab.ConfigsAsync(), RestoreLab.PlanOf(run.Stdout));
        for (var i = 1; i <= 3; i++)
            await lab.Lab.SshOkAsync(i, "ls -d /var/lib/etcd.dr-*"); // the old data dir is kept, never deleted
    }
}
