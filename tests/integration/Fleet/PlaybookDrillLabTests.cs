using EtcdDr.Drill.Reports;
using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.IntegrationTests.Lab;
using EtcdDr.Lab;

namespace EtcdDr.IntegrationTests.Fleet;

/// <summary>
/// playbooks/drill.yml with the real ansible-playbook, from the control node against the lab's
/// cluster (a Kubespray-shaped Ansible inventory; etcd-dr reads the lab's etcd-dr.yaml, whose
/// cluster is "lab"). The wrong cluster name fails the play and touches nothing; the right one
/// produces a passing report in a new drill-lab-TIME/ folder under the report folder (so runs never
/// overwrite each other), its JSON kept in the history folder for the RTO trend.
/// </summary>
public sealed class PlaybookDrillLabTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private readonly LabHarness _lab = new(LabHarness.NewStateDirectory("playbook-drill"), TestNets.Net(172), LabFlavor.Kubespray);
    private readonly TempDirectory _dir = TempDirectory.Create("playbook-drill");

    private string Inventory => _dir.Combine("hosts.yaml");
    private string Reports => _dir.Combine("reports");

    public async Task InitializeAsync()
    {
        await _lab.UpAsync();
        var hosts = string.Join("\n", Enumerable.Range(1, _lab.MasterCount).Select(i => $"    master-{i}: {{ ansible_host: {_lab.Address(i)} }}"));
        var members = string.Join("\n", Enumerable.Range(1, _lab.MasterCount).Select(i => $"        master-{i}:"));
        await File.WriteAllTextAsync(Inventory, $"""
            all:
              vars:
                ansible_user: root
                ansible_port: {LabHarness.SshPort}
                ansible_ssh_private_key_file: {_lab.Paths.ClientKey}
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
    }

    public async Task DisposeAsync()
    {
        await LabHarness.CliAsync("lab", "down", "--state", _lab.State);
        _dir.Dispose();
    }

    private Task<ProcessResult> DrillPlaybookAsync(string yesDestroy) =>
        ProcessRunner.RunAsync(Prerequisites.Require("ansible-playbook", "apt-get install ansible"),
            ["-i", Inventory,
             "-e", $"etcd_dr_inventory={_lab.Paths.Inventory}",
             // The etcd-dr this checkout built (the apphost beside the tests), as the control node's binary.
             "-e", $"etcd_dr_local_binary={Path.Combine(AppContext.BaseDirectory, "etcd-dr")}",
             "-e", $"etcd_dr_drill_report_dir={Reports}",
             "-e", $"etcd_dr_drill_yes_destroy={yesDestroy}",
             Path.Combine(RepositoryPaths.Root, "playbooks", "drill.yml")],
            new ProcessRunOptions
            {
                Timeout = TimeSpan.FromMinutes(10),
                Environment = new Dictionary<string, string?>
                {
                    ["ANSIBLE_NOCOLOR"] = "1",
                    ["ANSIBLE_LOCAL_TEMP"] = _dir.Combine("ansible-local"),
                    ["ETCD_DR_STATE_DIR"] = _dir.Combine("etcd-dr-state"),
                },
            });

    private string[] RunFolders() => Directory.Exists(Reports) ? Directory.GetDirectories(Reports, "drill-lab-*") : [];

    [Fact]
    public async Task Drill_yml_refuses_the_wrong_cluster_then_writes_a_passing_report()
    {
        var refused = await DrillPlaybookAsync("prod");
        Assert.True(refused.ExitCode != 0, $"drill.yml went on with the wrong cluster name\n{refused}");
        Assert.Contains("does not name this inventory's cluster (lab); nothing was touched", refused.Stdout, StringComparison.Ordinal);
        Assert.Empty(RunFolders());
        for (var i = 1; i <= _lab.MasterCount; i++)
            Assert.True(await _lab.MemberHealthyAsync(i), $"master-{i} is not healthy after a refused drill");

        var run = await DrillPlaybookAsync("lab");
        Assert.True(run.ExitCode == 0, $"ansible-playbook drill.yml failed\n{run}");
        Assert.Contains("drill wipe-all (kubespray) PASSED", run.Stdout, StringComparison.Ordinal);
        var folder = Assert.Single(RunFolders());
        var report = DrillReportJson.Parse(await File.ReadAllTextAsync(Path.Combine(folder, ReportFiles.JsonName)), folder);
        Assert.True(report.Passed, report.FailedCheck);
        Assert.Equal("lab", report.Cluster);
        Assert.True(report.RtoSeconds > 0);
        Assert.True(File.Exists(Path.Combine(folder, ReportFiles.HtmlName)));
        Assert.Single(Directory.GetFiles(Path.Combine(Reports, "history"), "*.json"));
        output.WriteLine($"drill.yml wipe-all (kubespray lab): RTO {report.RtoSeconds:0.00} s, RPO {report.RpoSeconds:0.00} s");
    }
}
