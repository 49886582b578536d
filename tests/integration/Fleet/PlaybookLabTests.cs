using System.Text.Json;
using System.Text.RegularExpressions;
using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.IntegrationTests.Lab;
using EtcdDr.Lab;

namespace EtcdDr.IntegrationTests.Fleet;

/// <summary>
/// The playbooks as an operator runs them: the real ansible-playbook over SSH against the lab's
/// masters (a Kubespray-shaped inventory with etcd and kube_control_plane groups), both flavors.
/// install.yml puts the binary, config, credentials (0600) and an enabled timer on every master and
/// a second run changes nothing; --check --diff then changes nothing either; snapshot.yml stores a
/// snapshot that `snapshot list` shows.
/// </summary>
public abstract partial class PlaybookLabTests(LabFlavor flavor, int net) : IAsyncLifetime
{
    private const string Secret = "s3cr3t-key-from-ansible-vault";
    private readonly LabHarness _lab = new(LabHarness.NewStateDirectory("playbooks-" + flavor.ToString().ToLowerInvariant()), TestNets.Net(net), flavor);
    private readonly TempDirectory _dir = TempDirectory.Create("playbooks");

    private string Store => _dir.Combine("store");
    private string Inventory => _dir.Combine("hosts.yaml");
    private string Vars => _dir.Combine("vars.yaml");

    public async Task InitializeAsync()
    {
        await _lab.UpAsync();
        Directory.CreateDirectory(Store);
        var hosts = string.Join("\n", Enumerable.Range(1, _lab.MasterCount).Select(i =>
            $"    master-{i}: {{ ansible_host: {_lab.Address(i)} }}"));
        var members = string.Join("\n", Enumerable.Range(1, _lab.MasterCount).Select(i => $"        master-{i}:"));
        await File.WriteAllTextAsync(Inventory, $"""
            all:
              vars:
                ansible_user: root
                ansible_port: {LabHarness.SshPort}
                ansible_ssh_private_key_file: {_lab.Paths.ClientKey}
                ansible_ssh_common_args: "-F /dev/null -o IdentitiesOnly=yes -o UserKnownHostsFile={_lab.Paths.KnownHosts} -o StrictHostKeyChecking=yes"
                ansible_python_interpreter: /usr/bin/python3
              hosts:
            {hosts}
              children:
                etcd:
                  hosts:
            {members}
                kube_control_plane:
                  hosts:
            {members}
            """);
        var key = await CliRunner.RunAsync("key", "generate", "-o", _dir.Combine("ops.key"));
        Assert.True(key.ExitCode == 0, key.ToString());
        var recipient = RecipientLine().Match(key.Stdout + key.Stderr).Value;
        await File.WriteAllTextAsync(Vars, $"""
            etcd_dr_cluster: lab
            etcd_dr_binary_src: {RepositoryPaths.SingleFileBinary}
            etcd_dr_destinations: ["file://{Store}"]
            etcd_dr_recipients: ["{recipient}"]
            etcd_dr_credentials:
              AWS_SECRET_ACCESS_KEY: "{Secret}"
            """);
    }

    public async Task DisposeAsync()
    {
        await LabHarness.CliAsync("lab", "down", "--state", _lab.State);
        _dir.Dispose();
    }

    private Task<ProcessResult> PlaybookAsync(string playbook, params string[] extra) => PlaybookAsync(playbook, expectSuccess: true, extra);

    private async Task<ProcessResult> PlaybookAsync(string playbook, bool expectSuccess, params string[] extra)
    {
        var result = await ProcessRunner.RunAsync(Prerequisites.Require("ansible-playbook", "apt-get install ansible"),
            ["-i", Inventory, "-e", "@" + Vars, .. extra, Path.Combine(RepositoryPaths.Root, "playbooks", playbook)],
            new ProcessRunOptions
            {
                Timeout = TimeSpan.FromMinutes(8),
                Environment = new Dictionary<string, string?>
                {
                    ["ANSIBLE_NOCOLOR"] = "1",
                    ["ANSIBLE_LOCAL_TEMP"] = _dir.Combine("ansible-local"),
                    ["ANSIBLE_REMOTE_TEMP"] = _dir.Combine("ansible-remote"),
                    // restore.yml runs etcd-dr on this machine: its journal and lock stay in the test's folder.
                    ["ETCD_DR_STATE_DIR"] = _dir.Combine("etcd-dr-state"),
                },
            });
        if (expectSuccess)
            Assert.True(result.ExitCode == 0, $"ansible-playbook {playbook} failed\n{result}");
        return result;
    }

    /// <summary>"changed=N" of every host in the PLAY RECAP.</summary>
    private static IReadOnlyDictionary<string, int> Changed(ProcessResult run) =>
        RecapLine().Matches(run.Stdout).ToDictionary(m => m.Groups[1].Value, m => int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public async Task Install_is_complete_idempotent_and_then_snapshot_yml_stores_a_listed_snapshot()
    {
        var first = await PlaybookAsync("install.yml");
        var changed = Changed(first);
        Assert.Equal(_lab.MasterCount, changed.Count);
        Assert.All(changed.Values, n => Assert.True(n > 0));

        for (var i = 1; i <= _lab.MasterCount; i++)
        {
            Assert.Equal("755 root", (await _lab.SshOkAsync(i, "stat -c '%a %U' /usr/local/bin/etcd-dr")).Trim());
            Assert.Equal("600 root", (await _lab.SshOkAsync(i, "stat -c '%a %U' /etc/etcd-dr/credentials.env")).Trim());
            Assert.Equal("600 root", (await _lab.SshOkAsync(i, "stat -c '%a %U' /etc/etcd-dr/config.yaml")).Trim());
            Assert.Contains(Secret, await _lab.SshOkAsync(i, "cat /etc/etcd-dr/credentials.env"), StringComparison.Ordinal);
            var units = await _lab.SshOkAsync(i, "cat /etc/systemd/system/etcd-dr-snapshot.service /etc/systemd/system/etcd-dr-snapshot.timer");
            Assert.DoesNotContain(Secret, units, StringComparison.Ordinal);
            Assert.Contains("EnvironmentFile=-/etc/etcd-dr/credentials.env", units, StringComparison.Ordinal);
            Assert.Equal("active", (await _lab.SshOkAsync(i, "systemctl is-active etcd-dr-snapshot.timer")).Trim());
            Assert.Equal("enabled", (await _lab.SshOkAsync(i, "systemctl is-enabled etcd-dr-snapshot.timer")).Trim());
            Assert.Contains("_etcd_dr_complete", await _lab.SshOkAsync(i, "cat /etc/bash_completion.d/etcd-dr"), StringComparison.Ordinal);
        }

        var second = await PlaybookAsync("install.yml");
        Assert.All(Changed(second), host => Assert.True(host.Value == 0, $"{host.Key} changed {host.Value} things on the second run\n{second.Stdout}"));
        var check = await PlaybookAsync("install.yml", "--check", "--diff");
        Assert.All(Changed(check), host => Assert.True(host.Value == 0, $"{host.Key}: --check would change {host.Value} things\n{check.Stdout}"));

        using (var client = _lab.Client())
            await client.PutAsync("/playbook/before-snapshot", "kept", CancellationToken.None);
        await PlaybookAsync("snapshot.yml");
        var list = await CliRunner.RunAsync("snapshot", "list", "--from", "file://" + Store, "--cluster", "lab", "--output", "json");
        Assert.True(list.ExitCode == 0, list.ToString());
        using var json = JsonDocument.Parse(list.Stdout);
        var snapshots = json.RootElement.GetProperty("snapshots");
        // onlyIfLeader: one master's run saved, the others stood down.
        Assert.Equal(1, snapshots.GetArrayLength());
        Assert.True(snapshots[0].GetProperty("encrypted").GetBoolean());

        // restore.yml after every master's data dir was wiped: etcd-dr plans, and runs unattended
        // from this control node with the same cluster, from the newest snapshot in the store.
        using (var client = _lab.Client())
            await client.PutAsync("/playbook/after-snapshot", "lost by design", CancellationToken.None);
        for (var i = 1; i <= _lab.MasterCount; i++)
            await _lab.LabAsync("break", "wipe-data", "--host", $"master-{i}");
        var restore = await PlaybookAsync("restore.yml",
            "-e", $"etcd_dr_inventory={_lab.Paths.Inventory}",
            "-e", $"etcd_dr_local_binary={RepositoryPaths.SingleFileBinary}",
            "-e", $"etcd_dr_restore_from=file://{Store}",
            "-e", $"etcd_dr_restore_identity={_dir.Combine("ops.key")}",
            "-e", "etcd_dr_restore_confirm=false");
        Assert.Contains("Plan the restore", restore.Stdout, StringComparison.Ordinal);
        for (var i = 1; i <= _lab.MasterCount; i++)
            await _lab.WaitHealthyAsync(i);
        using (var client = _lab.Client())
        {
            Assert.Equal("kept", (await client.GetAsync("/playbook/before-snapshot", CancellationToken.None))?.Value.ToStringUtf8());
            Assert.Null(await client.GetAsync("/playbook/after-snapshot", CancellationToken.None));
            Assert.Equal(_lab.MasterCount, (await client.MemberListAsync(CancellationToken.None)).Members.Count);
        }
    }

    [GeneratedRegex(@"age1[0-9a-z]{58}")]
    private static partial Regex RecipientLine();

    [GeneratedRegex(@"^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)", RegexOptions.Multiline)]
    private static partial Regex RecapLine();
}

public sealed class KubeadmPlaybookLabTests() : PlaybookLabTests(LabFlavor.Kubeadm, 130);

public sealed class KubesprayPlaybookLabTests() : PlaybookLabTests(LabFlavor.Kubespray, 131);
