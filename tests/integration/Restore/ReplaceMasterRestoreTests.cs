using EtcdDr.Lab;

namespace EtcdDr.IntegrationTests.Restore;

/// <summary>
/// Issue 9, replacement masters: master-2 is lost for good (`lab break lose-host`), `lab replace` brings
/// up a fresh host with its name on a new address (no PKI, empty data dir), and the restore lays the
/// PKI archive `pki backup` took of master-2 down there (`--pki`) and makes it a member at the new
/// address. Three masters, both flavors, one lab per test on its own net (150-153).
/// </summary>
public static class ReplaceMaster
{
    /// <summary>The lab client's own short timeouts fail under a load of 100+ (eight engineers on two cores):
    /// a key read or write by the test is asked again for up to three minutes; the restore under test is not.</summary>
    public static async Task<T> PatientlyAsync<T>(Func<Task<T>> call, string what)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            try
            {
                return await call();
            }
            catch (DrException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(1000);
            }
            catch (DrException ex)
            {
                throw new DrException($"{what}: {ex.Message}", ex.Kind);
            }
        }
    }

    private static Task PutAsync(RestoreLab lab, string key, params int[] masters) =>
        PatientlyAsync(async () => { await lab.PutAsync(key, "1", masters); return true; }, $"put {key}");

    private static Task<string?> GetAsync(RestoreLab lab, string key, params int[] masters) =>
        PatientlyAsync(() => lab.GetAsync(key, masters), $"get {key}");

    /// <summary>Lab up, a key written, master-2's PKI backed up; returns the age identity file and the archive.</summary>
    public static async Task<(string Identity, string Archive)> PrepareAsync(RestoreLab lab)
    {
        var identity = lab.File("ops.key");
        var (exit, stdout, stderr) = await lab.CliAsync("key", "generate", "-o", identity);
        Assert.True(exit == 0, stderr);
        var all = stdout + stderr;
        var recipient = all[all.IndexOf("age1", StringComparison.Ordinal)..].Split('\n')[0].Trim();
        var archive = lab.File("pki-master-2.tar.age");
        RestoreLab.AssertExit(0, await lab.CliAsync("pki", "backup", "-i", lab.Inventory, "--host", "master-2", "-o", archive, "-r", recipient), "pki backup of master-2");
        return (identity, archive);
    }

    /// <summary>master-2 lost, a replacement at NET.4; returns its address.</summary>
    public static async Task<string> LoseAndReplaceAsync(RestoreLab lab)
    {
        await lab.BreakAsync("lose-host", 2);
        var address = lab.Lab.Address(4);
        Assert.Contains(address, await lab.Lab.LabAsync("replace", "--host", "master-2", "--address", address), StringComparison.Ordinal);
        return address;
    }

    /// <summary>Three voters, master-2's peer URL at the new address; the replacement serves the keys; its config names only the new address.</summary>
    public static async Task AssertReplacedAsync(RestoreLab lab, string address, string configFile)
    {
        var members = await PatientlyAsync(lab.MembersAsync, "member list");
        Assert.Equal(["master-1", "master-2", "master-3"], members.Select(m => m.Name));
        Assert.All(members, m => Assert.False(m.Learner));
        Assert.Equal([lab.Lab.Address(1), address, lab.Lab.Address(3)], members.Select(m => new Uri(m.PeerUrl).Host));
        await lab.Lab.WaitHealthyAsync(4, 180);
        var config = (await lab.Lab.SshToAsync(address, $"cat {configFile}")).EnsureSuccess("cat the replacement's config").Stdout;
        Assert.DoesNotContain(lab.Lab.Address(2) + ":", config, StringComparison.Ordinal);
        Assert.Contains($"https://{address}:2380", config, StringComparison.Ordinal);
    }

    public static string ConfigFile(LabFlavor flavor) => flavor == LabFlavor.Kubespray ? "/etc/etcd.env" : "/etc/kubernetes/manifests/etcd.yaml";

    /// <summary>(a) the quorum of master-1 and master-3 stays healthy: `restore member master-2 --replace --pki`.</summary>
    public static async Task MemberAsync(LabFlavor flavor, int net)
    {
        await using var lab = await RestoreLab.UpAsync(flavor, net, $"replace-member-{flavor.ToString().ToLowerInvariant()}");
        var (identity, archive) = await PrepareAsync(lab);
        await PutAsync(lab, "/canary/before", 1, 3);
        var address = await LoseAndReplaceAsync(lab);
        await PutAsync(lab, "/canary/during", 1, 3); // the quorum serves while master-2 is gone

        var run = await lab.RestoreAsync("member", "master-2", "--replace", $"master-2={address}", "--pki", archive, "--identity", identity, "--yes");
        RestoreLab.AssertExit(0, run, "restore member master-2 --replace --pki");

        await AssertReplacedAsync(lab, address, ConfigFile(flavor));
        Assert.Equal("1", await GetAsync(lab, "/canary/before", 4));
        Assert.Equal("1", await GetAsync(lab, "/canary/during", 4));
    }

    /// <summary>(b) master-2 lost and the others' data wiped: `restore run --snapshot --strategy snapshot-all --replace --pki`.</summary>
    public static async Task SnapshotAsync(LabFlavor flavor, int net)
    {
        await using var lab = await RestoreLab.UpAsync(flavor, net, $"replace-snapshot-{flavor.ToString().ToLowerInvariant()}");
        var (identity, archive) = await PrepareAsync(lab);
        await PutAsync(lab, "/canary/before", 1, 3);
        var snapshot = lab.File("snap.db");
        await lab.SnapshotAsync(snapshot);
        await PutAsync(lab, "/canary/after", 1, 3);
        var address = await LoseAndReplaceAsync(lab);
        await lab.BreakAsync("wipe-data", 1);
        await lab.BreakAsync("wipe-data", 3);

        var run = await lab.RestoreAsync("run", "--snapshot", snapshot, "--strategy", "snapshot-all", "--replace", $"master-2={address}",
            "--pki", archive, "--identity", identity, "--yes");
        RestoreLab.AssertExit(0, run, "restore run --snapshot --strategy snapshot-all --replace --pki");

        await AssertReplacedAsync(lab, address, ConfigFile(flavor));
        Assert.Equal("1", await GetAsync(lab, "/canary/before", 4));
        Assert.Null(await GetAsync(lab, "/canary/after", 1, 3, 4));
    }
}

public class ReplaceMasterMemberKubesprayTests
{
    [Fact]
    public Task Lose_host_replaced_on_a_new_address_with_pki_by_restore_member() => ReplaceMaster.MemberAsync(LabFlavor.Kubespray, 150);
}

public class ReplaceMasterMemberKubeadmTests
{
    [Fact]
    public Task Lose_host_replaced_on_a_new_address_with_pki_by_restore_member() => ReplaceMaster.MemberAsync(LabFlavor.Kubeadm, 151);
}

public class ReplaceMasterSnapshotKubesprayTests
{
    [Fact]
    public Task Lose_host_replaced_on_a_new_address_with_pki_by_a_snapshot_all_restore() => ReplaceMaster.SnapshotAsync(LabFlavor.Kubespray, 152);
}

public class ReplaceMasterSnapshotKubeadmTests
{
    [Fact]
    public Task Lose_host_replaced_on_a_new_address_with_pki_by_a_snapshot_all_restore() => ReplaceMaster.SnapshotAsync(LabFlavor.Kubeadm, 153);
}
