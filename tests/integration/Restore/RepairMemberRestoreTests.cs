using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Lab;

namespace EtcdDr.IntegrationTests.Restore;

/// <summary>Both flavors: `corrupt-data` on master-2 while master-1 and master-3 keep the quorum: `restore member`
/// repairs it while a writer to the other two sees no failed write.</summary>
public class RepairMemberRestoreTests
{
    [Theory]
    [InlineData(LabFlavor.Kubeadm, 119)]
    [InlineData(LabFlavor.Kubespray, 143)]
    public async Task Restore_member_after_corrupt_data_with_no_downtime_for_the_others(LabFlavor flavor, int net)
    {
        await using var lab = await RestoreLab.UpAsync(flavor, net, "member");
        await lab.PutAsync("/canary/before", "1");
        var configs = await lab.ConfigsAsync();
        await lab.BreakAsync("corrupt-data", 2);
        await lab.Lab.WaitDownAsync(2, 30);

        using var stop = new CancellationTokenSource();
        var failures = new List<string>();
        var writes = 0;
        var writer = Task.Run(async () =>
        {
            using var client = lab.Lab.Client(1, 3);
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await client.PutAsync($"/writer/{writes}", "x", CancellationToken.None);
                    writes++;
                }
                catch (DrException ex)
                {
                    failures.Add(ex.Message);
                }
                await Task.Delay(100);
            }
        });
        var run = await lab.RestoreAsync("member", "master-2", "--yes");
        stop.Cancel();
        await writer;
        lab.AssertRunExit(0, run, "restore member master-2");
        Assert.True(failures.Count == 0, $"{failures.Count} failed writes during the repair: {string.Join("; ", failures.Take(3))}");
        Assert.True(writes > 10, $"only {writes} writes");

        var members = await lab.MembersAsync();
        Assert.Equal(["master-1", "master-2", "master-3"], members.Select(m => m.Name));
        Assert.All(members, m => Assert.False(m.Learner));
        await lab.Lab.WaitHealthyAsync(2);
        Assert.Equal("1", await lab.GetAsync("/canary/before", 2));
        Assert.Equal("x", await lab.GetAsync($"/writer/{writes - 1}", 2));
        await lab.Lab.SshOkAsync(2, "ls -d /var/lib/etcd.dr-*");
        RestoreLab.AssertConfigsFollowThePlan(configs, await lab.ConfigsAsync(), RestoreLab.PlanOf(run.Stdout));
    }
}
