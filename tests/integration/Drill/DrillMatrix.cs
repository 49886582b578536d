using System.Globalization;
using System.Text.Json;
using EtcdDr.Drill;
using EtcdDr.Drill.Reports;
using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.IntegrationTests.Lab;

namespace EtcdDr.IntegrationTests.Drill;

/// <summary>
/// Runs `etcd-dr drill --lab` exactly as an operator does (the CLI, in process) for one scenario on
/// one flavor with three masters, on a net of its own, and checks the report's numbers against each
/// other. Each matrix class below has its own net, so the classes run in parallel.
/// </summary>
public static class DrillMatrix
{
    public static async Task<DrillReport> RunAsync(string flavor, string scenario, int net)
    {
        var state = LabHarness.NewStateDirectory($"drill-{flavor}-{scenario}");
        var reportDir = Path.Combine(Path.GetTempPath(), "etcd-dr-tests", $"drill-report-{flavor}-{scenario}-{Guid.NewGuid().ToString("N")[..8]}");
        var history = reportDir + "-history";
        var result = await CliRunner.RunAsync("drill", "--lab", "--flavor", flavor, "--scenario", scenario, "--masters", "3",
            "--net", TestNets.Net(net), "--ssh-port", LabHarness.SshPort.ToString(CultureInfo.InvariantCulture), "--state", state,
            "--report", reportDir, "--history", history, "--metrics-textfile", Path.Combine(history, "drill.prom"), "--output", "json");
        var reportFile = Path.Combine(reportDir, ReportFiles.JsonName);
        Assert.True(File.Exists(reportFile), $"no report was written\n{result}");
        var report = DrillReportJson.Parse(await File.ReadAllTextAsync(reportFile), reportFile);
        Assert.True(result.ExitCode == 0 && report.Passed, $"drill {scenario} on {flavor} failed: {report.FailedCheck}\n{result}\n{await File.ReadAllTextAsync(Path.Combine(reportDir, ReportFiles.MarkdownName))}");

        // The stdout JSON names the same figures and the HTML report.
        using var json = JsonDocument.Parse(result.Stdout);
        var row = json.RootElement.EnumerateArray().Single();
        Assert.Equal(report.RtoSeconds, row.GetProperty("rtoSeconds").GetDouble());
        Assert.True(File.Exists(row.GetProperty("report").GetString()));

        // Consistency: RTO is outage to recovery, and the recorded steps account for all of it.
        Assert.NotNull(report.OutageAt);
        Assert.NotNull(report.RecoveredAt);
        // The report keeps RTO to the millisecond; compare with a tolerance, not by rounding both
        // (145.2952 and 145.295 round to 145.30 and 145.29).
        Assert.InRange(Math.Abs((report.RecoveredAt!.Value - report.OutageAt!.Value).TotalSeconds - report.RtoSeconds!.Value), 0, 0.01);
        Assert.InRange(Math.Abs(report.RtoSeconds.Value - report.RecoveryStepsSeconds!.Value), 0, DrillAnalysis.StepTolerance(report.RtoSeconds.Value));
        Assert.True(report.RtoSeconds > 0);

        // RPO from the canaries: zero where the recovery keeps every write; else the writes after the snapshot.
        var s = DrillScenario.Parse(scenario)[0];
        var c = report.Canaries!;
        Assert.Equal(0, c.MissingFromSnapshot);
        Assert.Equal(0, c.Holes);
        if (s.LosesWritesAfterSnapshot)
        {
            Assert.True(c.LostAcked > 0, "a snapshot restore lost no canary: were canaries written after the snapshot?");
            Assert.InRange(report.RpoSeconds!.Value, 0.05, (report.OutageAt.Value - report.Snapshot!.CreatedAt).TotalSeconds + 1);
        }
        else
        {
            Assert.Equal(0, report.RpoSeconds);
        }
        if (s.RequiresNoFailedWrite)
            Assert.Equal(0, c.FailedWrites);
        if (s.Kind != DrillScenarioKind.LoseMaster)
            Assert.NotEmpty(report.MovedAside); // the new master of lose-master has no old data to move

        // History and metric were written; the lab is gone.
        Assert.Single(Directory.GetFiles(history, "*.json"));
        var metrics = DrillMetrics.Read(await File.ReadAllTextAsync(Path.Combine(history, "drill.prom")));
        Assert.Equal(report.RtoSeconds.Value, metrics["lab"]["last_success_rto_seconds"], 2);
        Assert.False(Directory.Exists(state), $"the lab in {state} was not torn down");
        // Fully down, not only its folder: the next scenario of this class brings a lab up on the
        // same addresses at once.
        var lab = new LabHarness(state, TestNets.Net(net), flavor == "kubeadm" ? EtcdDr.Lab.LabFlavor.Kubeadm : EtcdDr.Lab.LabFlavor.Kubespray);
        Assert.Empty(lab.LeftoverProcesses());
        for (var i = 1; i <= 3; i++)
        {
            foreach (var port in new[] { LabHarness.SshPort, 2379, 2380 })
            {
                using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Parse(lab.Address(i)), port);
                listener.Start(); // throws when something of the lab still listens there
            }
        }
        return report;
    }
}

// One class per flavor and pair of scenarios: xunit runs classes in parallel, each on its own net.
public sealed class DrillKubeadmQuorumTests
{
    // The fault stops etcd by parking its manifest with the kubelet running; it used to kill the
    // kubelet too, and the restore then could not stop the API servers (:6443 held past 120 s).
    // Passed so once (CLI, load 60); in the drill-fix run under load ~100 the restore failed later.
    [Fact]
    public Task Lose_quorum() => DrillMatrix.RunAsync("kubeadm", "lose-quorum", 120);
    [Fact] public Task Corrupt_member() => DrillMatrix.RunAsync("kubeadm", "corrupt-member", 120);
}

public sealed class DrillKubeadmSnapshotTests
{
    [Fact] public Task Wipe_all() => DrillMatrix.RunAsync("kubeadm", "wipe-all", 121);
    [Fact] public Task Wipe_all_force_new_cluster() => DrillMatrix.RunAsync("kubeadm", "wipe-all-force-new-cluster", 121);
}

public sealed class DrillKubeadmLossTests
{
    [Fact] public Task Lose_master() => DrillMatrix.RunAsync("kubeadm", "lose-master", 122);
    [Fact] public Task From_store() => DrillMatrix.RunAsync("kubeadm", "from-store", 122);
}

public sealed class DrillKubesprayQuorumTests
{
    [Fact] public Task Lose_quorum() => DrillMatrix.RunAsync("kubespray", "lose-quorum", 123);
    [Fact] public Task Corrupt_member() => DrillMatrix.RunAsync("kubespray", "corrupt-member", 123);
}

public sealed class DrillKubespraySnapshotTests
{
    [Fact] public Task Wipe_all() => DrillMatrix.RunAsync("kubespray", "wipe-all", 124);
    // Its lab comes up now (the control socket path was one byte too long for this state folder).
    [Fact]
    public Task Wipe_all_force_new_cluster() => DrillMatrix.RunAsync("kubespray", "wipe-all-force-new-cluster", 124);
}

public sealed class DrillKubesprayLossTests
{
    [Fact] public Task Lose_master() => DrillMatrix.RunAsync("kubespray", "lose-master", 125);
    [Fact] public Task From_store() => DrillMatrix.RunAsync("kubespray", "from-store", 125);
}
