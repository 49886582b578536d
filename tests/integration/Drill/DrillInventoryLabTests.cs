using System.Globalization;
using System.Text.Json;
using EtcdDr.Drill.Reports;
using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.IntegrationTests.Lab;
using EtcdDr.Lab;

namespace EtcdDr.IntegrationTests.Drill;

/// <summary>
/// `etcd-dr drill -i INVENTORY` as an operator runs it against a cluster it did not bring up: a lab
/// from `lab up`, an inventory written by hand (its own cluster name), and the drill over SSH
/// (faults through the flavor's runtime, data dirs moved aside, the restore run by etcd-dr). First
/// the refusals: the wrong cluster name typed back touches nothing; a drill whose backups cannot be
/// stored fails before the fault, exits 1, and its report names the failed check. Then the drill
/// that passes, with its figures.
/// </summary>
public sealed class DrillInventoryLabTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private const string Cluster = "staging-lab";
    private readonly LabHarness _lab = new(LabHarness.NewStateDirectory("drill-inventory"), TestNets.Net(170), LabFlavor.Kubespray);
    private readonly TempDirectory _dir = TempDirectory.Create("drill-inventory");

    private string Inventory => _dir.Combine("staging.yaml");

    public async Task InitializeAsync()
    {
        await _lab.UpAsync();
        var masters = string.Join("\n", Enumerable.Range(1, _lab.MasterCount).Select(i => $"  - name: master-{i}\n    address: {_lab.Address(i)}"));
        await File.WriteAllTextAsync(Inventory, $"""
            cluster: {Cluster}
            ssh:
              user: root
              port: {LabHarness.SshPort}
              identityFile: {_lab.Paths.ClientKey}
              knownHostsFile: {_lab.Paths.KnownHosts}
            masters:
            {masters}

            """);
    }

    public async Task DisposeAsync()
    {
        await LabHarness.CliAsync("lab", "down", "--state", _lab.State);
        _dir.Dispose();
    }

    [Fact]
    public async Task Refused_and_failed_drills_touch_nothing_then_a_wipe_all_drill_passes_with_its_figures()
    {
        var before = await MembersAsync();

        // The wrong name typed back: exit 5, no report, the cluster as it was.
        var refusedReport = _dir.Combine("refused");
        var refused = await CliRunner.RunAsync("drill", "-i", Inventory, "--scenario", "wipe-all", "--yes-destroy", "lab", "--report", refusedReport);
        Assert.True(refused.ExitCode == 5, refused.ToString());
        Assert.Contains($"does not name this inventory's cluster ({Cluster}); nothing was touched", refused.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(refusedReport), "a refused drill wrote a report folder");
        await AssertUntouchedAsync(before);

        // Backups that cannot be stored (a store under a regular file): the drill stops before any
        // fault, exits 1, and the report and the last line name the failed check.
        var failedReport = _dir.Combine("failed");
        var failed = await CliRunner.RunAsync("drill", "-i", Inventory, "--scenario", "wipe-all", "--yes-destroy", Cluster, "--report", failedReport,
            "--store", "file:///etc/hostname/drill-store");
        Assert.True(failed.ExitCode == 1, failed.ToString());
        var failedJson = DrillReportJson.Parse(await File.ReadAllTextAsync(Path.Combine(failedReport, ReportFiles.JsonName)), failedReport);
        Assert.False(failedJson.Passed);
        Assert.False(failedJson.Interrupted);
        Assert.NotNull(failedJson.FailedCheck);
        Assert.StartsWith("drill ran to the end: ", failedJson.FailedCheck, StringComparison.Ordinal);
        Assert.Contains("PKI archive did not reach every destination", failedJson.FailedCheck, StringComparison.Ordinal);
        Assert.Null(failedJson.OutageAt);
        Assert.Contains($"drill wipe-all failed: {failedJson.FailedCheck}", failed.Stderr, StringComparison.Ordinal);
        Assert.Contains("**Failed check:** drill ran to the end", await File.ReadAllTextAsync(Path.Combine(failedReport, ReportFiles.MarkdownName)), StringComparison.Ordinal);
        await AssertUntouchedAsync(before);

        // The drill itself.
        var reportDir = _dir.Combine("report");
        var run = await CliRunner.RunAsync("drill", "-i", Inventory, "--scenario", "wipe-all", "--yes-destroy", Cluster, "--report", reportDir, "--output", "json");
        var reportFile = Path.Combine(reportDir, ReportFiles.JsonName);
        Assert.True(File.Exists(reportFile), $"no report was written\n{run}");
        var report = DrillReportJson.Parse(await File.ReadAllTextAsync(reportFile), reportFile);
        Assert.True(run.ExitCode == 0 && report.Passed, $"drill -i wipe-all failed: {report.FailedCheck}\n{run}\n{await File.ReadAllTextAsync(Path.Combine(reportDir, ReportFiles.MarkdownName))}");
        using (var json = JsonDocument.Parse(run.Stdout))
        {
            var row = json.RootElement.EnumerateArray().Single();
            Assert.True(row.GetProperty("passed").GetBoolean());
            Assert.Equal(report.RtoSeconds, row.GetProperty("rtoSeconds").GetDouble());
        }

        Assert.Equal(Cluster, report.Cluster);
        Assert.Equal("kubespray", report.Flavor);
        Assert.Equal(Path.GetFullPath(Inventory), report.Target);
        Assert.True(report.RtoSeconds > 0);
        Assert.InRange(Math.Abs((report.RecoveredAt!.Value - report.OutageAt!.Value).TotalSeconds - report.RtoSeconds!.Value), 0, 0.01);
        var c = report.Canaries!;
        Assert.Equal(0, c.MissingFromSnapshot);
        Assert.Equal(0, c.Holes);
        Assert.True(c.LostAcked > 0, "a snapshot restore lost no canary: were canaries written after the snapshot?");
        Assert.InRange(report.RpoSeconds!.Value, 0.05, (report.OutageAt.Value - report.Snapshot!.CreatedAt).TotalSeconds + 1);
        Assert.True(report.Snapshot.Encrypted);

        // Over SSH the fault moves every data dir aside (never deletes it), and it is still there.
        var faultMoves = report.MovedAside.Where(m => m.To.Contains(".drill-", StringComparison.Ordinal)).ToList();
        Assert.Equal(_lab.MasterCount, faultMoves.Count);
        foreach (var moved in faultMoves)
        {
            var index = int.Parse(moved.Host["master-".Length..], CultureInfo.InvariantCulture);
            Assert.Equal("yes", (await _lab.SshOkAsync(index, $"test -d '{moved.To}' && echo yes")).Trim());
        }

        // Afterwards: three healthy voting members serving the canaries from before the snapshot.
        for (var i = 1; i <= _lab.MasterCount; i++)
            await _lab.WaitHealthyAsync(i);
        Assert.Equal(_lab.MasterCount, (await MembersAsync()).Count);
        var figures = $"RTO {report.RtoSeconds:0.00} s, RPO {report.RpoSeconds:0.00} s, snapshot revision {report.Snapshot.Revision} ({report.Snapshot.FileSize} bytes)";
        output.WriteLine($"drill -i wipe-all (kubespray lab): {figures}");
    }

    private async Task<IReadOnlyList<string>> MembersAsync()
    {
        using var client = _lab.Client();
        var list = await client.MemberListAsync(CancellationToken.None);
        return [.. list.Members.Select(m => $"{m.Name} {m.ID:x} {(m.IsLearner ? "learner" : "voter")}").Order(StringComparer.Ordinal)];
    }

    /// <summary>Same members, every one healthy, no drill keys, nothing moved aside on any master.</summary>
    private async Task AssertUntouchedAsync(IReadOnlyList<string> membersBefore)
    {
        Assert.Equal(membersBefore, await MembersAsync());
        for (var i = 1; i <= _lab.MasterCount; i++)
        {
            Assert.True(await _lab.MemberHealthyAsync(i), $"master-{i} is not healthy");
            Assert.Equal("0", (await _lab.SshOkAsync(i, "ls -d /var/lib/etcd.drill-* 2>/dev/null | wc -l")).Trim());
        }
        using var client = _lab.Client();
        Assert.Empty(await client.GetPrefixAsync("/etcd-dr/drill/", CancellationToken.None));
    }
}
