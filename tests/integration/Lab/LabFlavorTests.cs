using System.Globalization;
using EtcdDr.Lab;
using EtcdDr.Remote;

namespace EtcdDr.IntegrationTests.Lab;

/// <summary>
/// The same proof for both flavors, on one shared three-master lab per flavor. Steps run in order;
/// each leaves the lab healthy for the next, except the last, which breaks it for good and runs
/// `lab down`. The flavor-specific bits are how etcd is stopped and which files name the member.
/// </summary>
[TestCaseOrderer(StepOrderer.Name, StepOrderer.Assembly)]
public abstract class LabFlavorTests(LabFixture fixture)
{
    protected LabHarness Lab => fixture.Lab;

    /// <summary>The operator's way to stop etcd on a master of this flavor, as a remote shell command.</summary>
    protected abstract string StopEtcdCommand { get; }
    protected abstract string StartEtcdCommand { get; }

    /// <summary>The file that names the member, and what it must say for master i.</summary>
    protected abstract string MemberFile { get; }
    protected abstract IEnumerable<string> MemberFileMustContain(int index);

    /// <summary>The installer's own way to ask etcd from a master, with the certificates it laid out.</summary>
    protected abstract string EtcdctlHealthCommand(int index);

    [Fact, Step(1)]
    public void Up_writes_an_inventory_that_the_tool_loads_as_is()
    {
        var inventory = InventoryFile.Load(Lab.Paths.Inventory);
        Assert.Equal("lab", inventory.Cluster);
        Assert.Equal("root", inventory.Ssh.User);
        Assert.Equal(LabHarness.SshPort, inventory.Ssh.Port);
        Assert.Equal("never", inventory.Ssh.Sudo);
        Assert.Equal(Lab.Paths.ClientKey, inventory.Ssh.IdentityFile);
        Assert.Equal(Lab.Paths.KnownHosts, inventory.Ssh.KnownHostsFile);
        Assert.Equal(["master-1", "master-2", "master-3"], inventory.Masters.Select(m => m.Name));
        Assert.Equal([Lab.Address(1), Lab.Address(2), Lab.Address(3)], inventory.Masters.Select(m => m.Address));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Lab.Paths.ClientKey));
        var knownHosts = File.ReadAllLines(Lab.Paths.KnownHosts);
        Assert.Equal(3, knownHosts.Length);
        Assert.StartsWith($"[{Lab.Address(1)}]:{LabHarness.SshPort} ssh-ed25519 ", knownHosts[0], StringComparison.Ordinal);
    }

    [Fact, Step(2)]
    public async Task Every_master_answers_real_ssh_with_its_own_hostname_and_its_own_files()
    {
        for (var i = 1; i <= 3; i++)
        {
            // One session per master (ssh logins are the slow part on a busy machine).
            var parts = (await Lab.SshOkAsync(i, $"hostname; echo @@; cat {MemberFile}; echo @@; head -2 \"$(command -v systemctl)\"; head -c 300 /usr/bin/systemctl"))
                .Split("@@\n");
            Assert.Equal($"master-{i}", parts[0].Trim());
            foreach (var expected in MemberFileMustContain(i))
                Assert.Contains(expected, parts[1], StringComparison.Ordinal);
            // Both systemctl on PATH and /usr/bin/systemctl are the stand-in script.
            Assert.Equal(2, parts[2].Split("etcd-dr lab stand-in").Length - 1);
        }
        // The host's own /etc is untouched: the masters' files live in their overlays.
        Assert.Equal(fixture.HostEtcKubernetesBefore, LabFixture.Snapshot("/etc/kubernetes"));
        if (fixture.HostEtcKubernetesBefore is null)
            Assert.False(Directory.Exists("/etc/kubernetes"));
        Assert.False(File.Exists("/etc/etcd.env") && File.ReadAllText("/etc/etcd.env").Contains("master-1", StringComparison.Ordinal));
        Assert.False(Directory.Exists("/etc/ssl/etcd/ssl") && Directory.GetFiles("/etc/ssl/etcd/ssl").Any(f => f.Contains("master-1", StringComparison.Ordinal)));
    }

    [Fact, Step(3)]
    public async Task Etcd_has_three_healthy_members_over_tls()
    {
        using var client = Lab.Client();
        var statuses = await client.StatusAllAsync(CancellationToken.None);
        Assert.All(statuses, s => Assert.True(s.Healthy, s.Error?.Message));
        Assert.Single(statuses, s => s.IsLeader);
        var members = await client.MemberListAsync(CancellationToken.None);
        Assert.Equal(["master-1", "master-2", "master-3"], members.Members.Select(m => m.Name).Order(StringComparer.Ordinal));
        Assert.All(members.Members, m => Assert.StartsWith("https://" + Lab.Net + ".", m.ClientURLs.Single(), StringComparison.Ordinal));
        await client.PutAsync("/lab/canary", "alive", CancellationToken.None);
        Assert.Equal("alive", (await client.GetAsync("/lab/canary", CancellationToken.None))!.Value.ToStringUtf8());

        var onMaster = await Lab.SshAsync(2, EtcdctlHealthCommand(2));
        Assert.True(onMaster.ExitCode == 0 && (onMaster.Stdout + onMaster.Stderr).Contains("is healthy", StringComparison.Ordinal), onMaster.ToString());

        var status = await LabHarness.CliAsync("lab", "status", "--state", Lab.State, "--output", "json");
        Assert.Equal(0, status.Exit);
        Assert.Contains("\"leader\"", status.Stdout, StringComparison.Ordinal);
    }

    [Fact, Step(4)]
    public async Task Stopping_etcd_over_ssh_the_flavors_way_takes_the_member_away_and_starting_it_brings_it_back()
    {
        await Lab.SshOkAsync(2, StopEtcdCommand);
        await Lab.WaitDownAsync(2);
        // etcd may still be shutting down (a leader hands over first): wait for the process to go.
        await Lab.WaitAsync(async () => await EtcdStateAsync(2) == "stopped", TimeSpan.FromSeconds(30), "etcd on master-2 exiting");
        await Lab.SshOkAsync(2, StartEtcdCommand);
        await Lab.WaitHealthyAsync(2);
    }

    [Fact, Step(5)]
    public async Task Stand_in_systemctl_keeps_systemds_exit_codes_and_a_stopped_kubelet_leaves_etcd_running()
    {
        var codes = await Lab.SshOkAsync(1, "systemctl is-active kubelet; echo active=$?; systemctl stop kubelet; echo stop=$?; systemctl is-active kubelet; echo inactive=$?; " +
            "systemctl status kubelet >/dev/null; echo status=$?; systemctl status no-such-unit 2>/dev/null; echo unknown=$?; " +
            "systemctl start no-such-unit 2>/dev/null; echo start-unknown=$?; systemctl is-enabled kubelet; echo enabled=$?");
        Assert.Equal("active\nactive=0\nstop=0\ninactive\ninactive=3\nstatus=3\nunknown=4\nstart-unknown=5\nenabled\nenabled=0\n", codes);
        // Containers outlive the kubelet; a host etcd does not care about it at all.
        Assert.True(await Lab.MemberHealthyAsync(1));
        await Lab.SshOkAsync(1, "/usr/bin/systemctl start kubelet");
        Assert.Equal("active", (await Lab.SshOkAsync(1, "systemctl is-active kubelet")).Trim());
        Assert.True(await Lab.MemberHealthyAsync(1));
    }

    [Fact, Step(6)]
    public async Task Kill_etcd_is_restarted_by_the_master_like_systemd_or_kubelet_would()
    {
        var before = await EtcdStateAsync(3);
        Assert.Contains("killed etcd", await Lab.LabAsync("break", "kill-etcd", "--host", "master-3"), StringComparison.Ordinal);
        await Lab.WaitDownAsync(3, 5);
        // Kubespray: RestartSec=10s; kubeadm: the kubelet's first back-off of 10 s.
        await Lab.WaitHealthyAsync(3, 45);
        var after = await EtcdStateAsync(3);
        Assert.NotEqual(before, after);
    }

    [Fact, Step(7)]
    public async Task Kill_etcd_with_no_restart_keeps_it_down_until_heal()
    {
        await Lab.LabAsync("break", "kill-etcd", "--no-restart", "--host", "master-3");
        await Lab.WaitDownAsync(3, 5);
        // "failed" means no restart is pending (systemd's auto-restart would show "activating").
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(await Lab.MemberHealthyAsync(3));
        Assert.Equal("stopped", await EtcdStateAsync(3));
        var unit = Lab.Flavor == LabFlavor.Kubespray ? "etcd" : "kubelet";
        Assert.Equal("failed", (await Lab.SshAsync(3, "systemctl is-active " + unit)).Stdout.Trim());
        await Lab.LabAsync("heal", "--host", "master-3");
        await Lab.WaitHealthyAsync(3);
    }

    [Fact, Step(8)]
    public async Task Wipe_data_stops_etcd_and_leaves_an_empty_data_dir_with_the_old_one_moved_aside()
    {
        var message = await Lab.LabAsync("break", "wipe-data", "--host", "master-3");
        await Lab.WaitDownAsync(3, 5);
        Assert.Equal("", (await Lab.SshOkAsync(3, "ls -A /var/lib/etcd")).Trim());
        var aside = message.Split(' ').Last().Trim();
        Assert.StartsWith("/var/lib/etcd-lab-wiped-", aside, StringComparison.Ordinal);
        Assert.Contains("member", await Lab.SshOkAsync(3, "ls " + aside), StringComparison.Ordinal);
        // Nothing restarts it by itself.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal("stopped", await EtcdStateAsync(3));
        // An operator's repair: put the member folder back and start etcd.
        await Lab.SshOkAsync(3, $"mv {aside}/member /var/lib/etcd/member");
        await Lab.LabAsync("heal", "--host", "master-3");
        await Lab.WaitHealthyAsync(3);
    }

    [Fact, Step(9)]
    public async Task Cut_off_isolates_the_master_both_ways_and_heal_reconnects_it()
    {
        var log = Lab.Paths.Master("master-2").EtcdLog;
        var logBefore = new FileInfo(log).Length;
        await Lab.LabAsync("break", "cut-off", "--host", "master-2");
        await Lab.WaitDownAsync(2, 10);
        Assert.NotEqual(0, (await Lab.SshAsync(2, "true", connectTimeoutSeconds: 2)).ExitCode);
        // The other two keep a quorum and serve writes, once they have a leader: if master-2 led,
        // electing another takes an election timeout (5 s on the Kubespray lab).
        using (var rest = Lab.Client(1, 3))
        {
            await Lab.WaitAsync(async () =>
            {
                try
                {
                    await rest.PutAsync("/lab/during-cut", "x", CancellationToken.None);
                    return true;
                }
                catch (DrException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(30), "master-1 and master-3 serving a write without master-2");
        }
        // master-2's own outgoing traffic is dropped too (its cgroup), not only what is sent to its
        // address: on loopback its dials leave from 127.0.0.1, so only then does it lose the leader.
        await Lab.WaitAsync(() => Task.FromResult(LogSince(log, logBefore) is var added
                && (added.Contains("lost leader", StringComparison.Ordinal) || added.Contains("became candidate", StringComparison.Ordinal))),
            TimeSpan.FromSeconds(20), "master-2 losing its leader");
        var status = await LabHarness.CliAsync("lab", "status", "--state", Lab.State, "--output", "json");
        Assert.Equal(6, status.Exit);
        Assert.Contains("\"cutOff\": true", status.Stdout, StringComparison.Ordinal);
        await Lab.LabAsync("heal", "--host", "master-2");
        await Lab.WaitHealthyAsync(2);
        Assert.Equal("master-2", (await Lab.SshOkAsync(2, "hostname")).Trim());
    }

    [Fact, Step(10)]
    public async Task Last_lose_quorum_corrupt_data_lose_host_then_down_leaves_nothing_behind()
    {
        // lose-quorum: etcd killed and kept down on a majority (master-1 and master-2).
        await Lab.LabAsync("break", "lose-quorum", "--host", "master-1");
        await Lab.WaitDownAsync(1, 5);
        await Lab.WaitDownAsync(2, 5);
        using (var survivor = Lab.Client(3))
        {
            await Lab.WaitAsync(async () =>
            {
                try
                {
                    await survivor.GetAsync("/lab/canary", CancellationToken.None);
                    return false;
                }
                catch (DrException)
                {
                    return true; // no quorum read without a leader
                }
            }, TimeSpan.FromSeconds(20), "the survivor refusing quorum reads");
        }

        // corrupt-data: master-3's bbolt file is overwritten and etcd refuses it.
        var db = Lab.Paths.Master("master-3").Inside("/var/lib/etcd/member/snap/db");
        var headBefore = File.ReadAllBytes(db)[..64];
        await Lab.LabAsync("break", "corrupt-data", "--host", "master-3");
        Assert.NotEqual(headBefore, File.ReadAllBytes(db)[..64]);
        await Lab.WaitAsync(() => Task.FromResult(File.ReadAllText(Lab.Paths.Master("master-3").EtcdLog).Contains("exited with code", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(20), "etcd on master-3 refusing its corrupt data");
        Assert.False(await Lab.MemberHealthyAsync(3));

        // lose-host: master-2 is gone with its state subtree.
        await Lab.LabAsync("break", "lose-host", "--host", "master-2");
        Assert.False(Directory.Exists(Lab.Paths.Master("master-2").Root));
        Assert.NotEqual(0, (await Lab.SshAsync(2, "true", connectTimeoutSeconds: 2)).ExitCode);
        Assert.DoesNotContain(Lab.LeftoverProcesses(), p => p.Contains("/masters/master-2/", StringComparison.Ordinal));
        Assert.NotEmpty(Lab.LeftoverProcesses());

        await Lab.LabAsync("down");
        Assert.Empty(Lab.LeftoverProcesses());
        Assert.False(Directory.Exists(Lab.State));
        Assert.DoesNotContain("EDRLAB-" + LabState.Tag(Lab.State), (await ProcessRunner.RunAsync("iptables", ["-S"])).Stdout, StringComparison.Ordinal);
        Assert.False(LabCgroup.For(Lab.State) is { } cg && Directory.Exists(cg.LabFolder));
        // And again: idempotent.
        await Lab.LabAsync("down");
    }

    private async Task<string> EtcdStateAsync(int index) =>
        (await ControlChannel.SendAsync(Lab.Paths.Master($"master-{index}").ControlSocket, ["etcd", "state"], TimeSpan.FromSeconds(10), CancellationToken.None)).Stdout.Trim();

    private static string LogSince(string path, long offset)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        file.Seek(offset, SeekOrigin.Begin);
        return new StreamReader(file).ReadToEnd();
    }
}

public sealed class KubeadmLabTests(KubeadmLabFixture fixture) : LabFlavorTests(fixture), IClassFixture<KubeadmLabFixture>
{
    protected override string StopEtcdCommand => "mv /etc/kubernetes/manifests/etcd.yaml /etc/kubernetes/etcd.yaml";
    protected override string StartEtcdCommand => "mv /etc/kubernetes/etcd.yaml /etc/kubernetes/manifests/etcd.yaml";
    protected override string MemberFile => "/etc/kubernetes/manifests/etcd.yaml";

    protected override string EtcdctlHealthCommand(int index) =>
        $"ETCDCTL_API=3 etcdctl --endpoints https://{Lab.Address(index)}:2379 --cacert /etc/kubernetes/pki/etcd/ca.crt " +
        "--cert /etc/kubernetes/pki/etcd/healthcheck-client.crt --key /etc/kubernetes/pki/etcd/healthcheck-client.key endpoint health";

    protected override IEnumerable<string> MemberFileMustContain(int index) =>
        [$"- --name=master-{index}", $"- --advertise-client-urls=https://{Lab.Address(index)}:2379", $"- --initial-advertise-peer-urls=https://{Lab.Address(index)}:2380",
         "- --data-dir=/var/lib/etcd", "- --client-cert-auth=true", "- --cert-file=/etc/kubernetes/pki/etcd/server.crt", "image: registry.k8s.io/etcd:"];
}

public sealed class KubesprayLabTests(KubesprayLabFixture fixture) : LabFlavorTests(fixture), IClassFixture<KubesprayLabFixture>
{
    protected override string StopEtcdCommand => "systemctl stop etcd && ! systemctl is-active etcd";
    protected override string StartEtcdCommand => "systemctl start etcd && systemctl is-active etcd";
    protected override string MemberFile => "/etc/etcd.env";

    protected override string EtcdctlHealthCommand(int index) => "etcdctl.sh endpoint health";

    protected override IEnumerable<string> MemberFileMustContain(int index) =>
        [$"ETCD_NAME=master-{index}", $"ETCD_ADVERTISE_CLIENT_URLS=https://{Lab.Address(index)}:2379",
         $"ETCD_CERT_FILE=/etc/ssl/etcd/ssl/member-master-{index}.pem", $"ETCDCTL_CERT=/etc/ssl/etcd/ssl/admin-master-{index}.pem", "ETCD_DATA_DIR=/var/lib/etcd"];
}
