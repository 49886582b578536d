using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using EtcdDr.Drill;
using EtcdDr.Drill.Reports;
using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.IntegrationTests.Lab;
using EtcdDr.Lab;

namespace EtcdDr.IntegrationTests.Drill;

/// <summary>
/// Ctrl-C in the middle of `etcd-dr drill --lab`: the real executable as a child process gets a
/// real SIGINT while the restore runs (the lab is broken, SSH sessions are open, etcds are being
/// restored). It must exit 130, write a report that says it was interrupted and during which step,
/// and tear the whole lab down: no process, no cgroup, no state folder, every port free.
/// </summary>
public sealed class DrillInterruptTests
{
    [Fact]
    public async Task Sigint_during_the_restore_tears_the_lab_down_and_reports_the_interruption()
    {
        var net = TestNets.Net(171);
        var lab = new LabHarness(LabHarness.NewStateDirectory("drill-sigint"), net, LabFlavor.Kubespray);
        using var dir = TempDirectory.Create("drill-sigint");
        var reportDir = dir.Combine("report");
        var etcdDr = Path.Combine(AppContext.BaseDirectory, "etcd-dr");
        // `env --default-signal=INT`: a test run started in the background by a non-interactive
        // shell ignores SIGINT, a child inherits that, and .NET keeps an inherited SIG_IGN. The
        // operator's terminal delivers it; so must this test.
        var start = new ProcessStartInfo(Prerequisites.Require("env", "apt-get install coreutils"))
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
        };
        foreach (var arg in (string[])["--default-signal=INT", etcdDr, "drill", "--lab", "--flavor", "kubespray", "--scenario", "wipe-all",
                     "--net", net, "--ssh-port", LabHarness.SshPort.ToString(CultureInfo.InvariantCulture), "--state", lab.State, "--report", reportDir, "--output", "table"])
            start.ArgumentList.Add(arg);

        var stderr = new System.Text.StringBuilder();
        var restoreRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var child = new Process { StartInfo = start };
        child.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (stderr)
                stderr.AppendLine(e.Data);
            // The drill logs the restore command just before running it: the lab is broken now.
            if (e.Data.Contains("etcd-dr restore run", StringComparison.Ordinal))
                restoreRunning.TrySetResult();
        };
        Assert.True(child.Start());
        child.StandardInput.Close();
        child.BeginErrorReadLine();
        var stdout = child.StandardOutput.ReadToEndAsync();
        string Log()
        {
            lock (stderr)
                return stderr.ToString();
        }

        try
        {
            await InterruptDuringRestoreAndCheckAsync();
        }
        finally
        {
            if (!child.HasExited)
                child.Kill(entireProcessTree: true);
            // Only a safety net: the assertions above ran before it.
            await LabHarness.CliAsync("lab", "down", "--state", lab.State);
        }

        async Task InterruptDuringRestoreAndCheckAsync()
        {
            var exited = child.WaitForExitAsync();
            var first = await Task.WhenAny(restoreRunning.Task, exited, Task.Delay(TimeSpan.FromMinutes(8)));
            Assert.True(first == restoreRunning.Task, $"the drill never reached its restore (exited: {child.HasExited})\n{Log()}");
            // Into the restore, not at its first instruction.
            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.False(child.HasExited, $"the drill finished before the interrupt\n{Log()}");
            Assert.True(PosixSignals.Interrupt(child.Id), "SIGINT could not be sent");
            using var wait = new CancellationTokenSource(TimeSpan.FromMinutes(4));
            await child.WaitForExitAsync(wait.Token);
            child.WaitForExit(); // drains the stderr pump
            var output = await stdout;
            var log = Log();

            Assert.True(child.ExitCode == 130, $"exit {child.ExitCode}\n{output}\n{log}");
            Assert.Contains("etcd-dr: drill interrupted during wipe-all", log, StringComparison.Ordinal);
            Assert.Contains("the lab is torn down", log, StringComparison.Ordinal);
            Assert.Contains("INTERRUPTED", output, StringComparison.Ordinal);

            var reportFile = Path.Combine(reportDir, ReportFiles.JsonName);
            Assert.True(File.Exists(reportFile), $"no report after the interrupt\n{log}");
            var report = DrillReportJson.Parse(await File.ReadAllTextAsync(reportFile), reportFile);
            Assert.False(report.Passed);
            Assert.True(report.Interrupted);
            Assert.NotNull(report.OutageAt);
            Assert.StartsWith($"drill ran to the end: {DrillRunner.InterruptedText} during 'restore run", report.FailedCheck, StringComparison.Ordinal);
            Assert.Contains("# DR drill INTERRUPTED: wipe-all", await File.ReadAllTextAsync(Path.Combine(reportDir, ReportFiles.MarkdownName)), StringComparison.Ordinal);

            // The lab is gone, and nothing of it holds an address the next lab on this net needs.
            Assert.Contains("lab down: 3 masters", log, StringComparison.Ordinal);
            Assert.False(Directory.Exists(lab.State), $"the lab in {lab.State} was not torn down");
            Assert.Empty(lab.LeftoverProcesses());
            Assert.False(Directory.Exists(Path.Combine(LabCgroup.FindMount() ?? "/nonexistent", "etcd-dr-lab-" + LabState.Tag(lab.State))), "the lab's cgroup is left");
            for (var i = 1; i <= lab.MasterCount; i++)
            {
                foreach (var port in new[] { LabHarness.SshPort, 2379, 2380 })
                {
                    using var listener = new TcpListener(System.Net.IPAddress.Parse(lab.Address(i)), port);
                    listener.Start(); // throws when something still listens there
                }
            }
        }
    }
}
