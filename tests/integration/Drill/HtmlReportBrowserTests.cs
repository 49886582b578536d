using System.Text.RegularExpressions;
using EtcdDr.Drill;
using EtcdDr.Drill.Reports;
using EtcdDr.IntegrationTests.Infrastructure;

namespace EtcdDr.IntegrationTests.Drill;

/// <summary>
/// Opens the drill's HTML report in real headless Chromium (Debian's `chromium`), screenshots it and
/// dumps its DOM: the timeline and the figures must render, and the page must log nothing to the
/// console (a blocked resource or a CSP violation would). A page that does log is caught too, so the
/// console check can fail.
/// </summary>
public sealed partial class HtmlReportBrowserTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("etcd-dr-browser-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task The_report_renders_its_timeline_and_figures_without_console_errors()
    {
        var report = SampleReport();
        var paths = await ReportFiles.WriteAsync(Path.Combine(_dir, "report"), report, CancellationToken.None);

        var (dom, domLog) = await ChromiumAsync("--dump-dom", paths.Html);
        Assert.Empty(ConsoleLines(domLog));
        // The DOM as Chromium built it: every step drawn, the figures filled in.
        Assert.Equal(report.Steps.Count, StepRect().Matches(dom).Count);
        Assert.Contains("id=\"rto-bar\"", dom, StringComparison.Ordinal);
        Assert.Matches(@"id=""rto""><div class=""label"">RTO</div><div class=""value"">12\.50 s</div>", dom);
        Assert.Matches(@"id=""rpo""><div class=""label"">RPO</div><div class=""value"">1\.20 s</div>", dom);
        Assert.Contains("id=\"trend\"", dom, StringComparison.Ordinal);

        var png = Path.Combine(_dir, "shot.png");
        var (_, shotLog) = await ChromiumAsync($"--screenshot={png}", paths.Html);
        Assert.Empty(ConsoleLines(shotLog));
        var image = PngImage.Read(await File.ReadAllBytesAsync(png));
        Assert.Equal(1100, image.Width);
        // Not blank: many colours, and the timeline's own colours cover real areas of the page.
        Assert.True(image.DistinctColours() > 50, $"only {image.DistinctColours()} colours: a blank page?");
        foreach (var phase in new[] { "prepare", "fault", "restore", "verify" })
            Assert.True(image.Count(HtmlReport.PhaseColours[phase]) > 200, $"the {phase} steps ({HtmlReport.PhaseColours[phase]}) are not visible: {image.Count(HtmlReport.PhaseColours[phase])} pixels");
        Assert.True(image.Count(HtmlReport.RtoColour) > 100, "the RTO bar is not visible");
        // The pass banner's green border.
        Assert.True(image.Count("#2f855a") > 1000, "the PASSED banner is not visible");
    }

    [Fact]
    public async Task A_page_that_logs_to_the_console_is_caught()
    {
        var page = Path.Combine(_dir, "bad.html");
        await File.WriteAllTextAsync(page, "<!DOCTYPE html><html><body><p>x</p><script>console.error('drill-report-console-check')</script></body></html>");
        var (_, log) = await ChromiumAsync("--dump-dom", page);
        Assert.Contains(ConsoleLines(log), l => l.Contains("drill-report-console-check", StringComparison.Ordinal));
    }

    private static IEnumerable<string> ConsoleLines(string log) => log.Split('\n').Where(l => ConsoleLine().IsMatch(l));

    /// <summary>Chromium as root, headless, offline, with a fresh profile: stdout and stderr.</summary>
    private async Task<(string Stdout, string Stderr)> ChromiumAsync(string action, string file)
    {
        var chromium = Prerequisites.Require("chromium", "apt-get install chromium (scripts/install-deps.sh)");
        var profile = Directory.CreateTempSubdirectory("etcd-dr-chromium-").FullName;
        try
        {
            var result = await ProcessRunner.RunAsync(chromium,
                ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                 $"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", "--window-size=1100,1800", "--hide-scrollbars", action, new Uri(file).AbsoluteUri],
                new ProcessRunOptions { Timeout = TimeSpan.FromSeconds(90) });
            Assert.True(result.ExitCode == 0, $"chromium exited {result.ExitCode}: {result.Stderr}");
            return (result.Stdout, result.Stderr);
        }
        finally
        {
            Directory.Delete(profile, recursive: true);
        }
    }

    private static DrillReport SampleReport()
    {
        var t0 = new DateTimeOffset(2026, 12, 6, 3, 0, 0, TimeSpan.Zero);
        DateTimeOffset At(double s) => t0.AddSeconds(s);
        var writes = Enumerable.Range(1, 60).Select(i => new CanaryWrite(i, At(2 + i * 0.1), At(2 + i * 0.1 + 0.01), null)).ToList();
        var canaries = DrillAnalysis.Canaries(writes, Enumerable.Range(1, 48).Select(i => (long)i).ToHashSet(), 20);
        var run = new DrillRunRecord
        {
            StartedAt = t0,
            OutageAt = At(8.1),
            Probe = new ProbeResult(At(9), At(19.5), At(20.6), 120, 119, "no quorum"),
            Canaries = canaries,
            Snapshot = new DrillSnapshot("/srv/drill/snapshot.db.age", 2_400_000, 4521, new string('c', 64), true, "3.4.23", "master-2", At(5)),
            PkiArchives = ["/srv/drill/pki-master-1.tar.age"],
            Steps =
            [
                new(DrillStep.ClusterLane, "prepare", "cluster healthy before the drill", At(0), At(0.4)),
                new("master-1", "prepare", "PKI backup", At(0.4), At(1.8)),
                new("master-2", "prepare", "PKI backup", At(0.4), At(1.9)),
                new("master-3", "prepare", "PKI backup", At(0.4), At(1.7)),
                new(DrillStep.ClusterLane, "prepare", "canary writer started", At(2), At(3)),
                new(DrillStep.ClusterLane, "prepare", "snapshot saved", At(4.5), At(6.9)),
                new(DrillStep.ClusterLane, "fault", "data dirs wiped", At(8.1), At(9)),
                new(DrillStep.ClusterLane, "restore", "restore run --strategy snapshot-all", At(9), At(20)),
                new("master-1", "restore", "restore-snapshot", At(11), At(14)),
                new("master-2", "restore", "restore-snapshot", At(11), At(14.5)),
                new("master-3", "restore", "restore-snapshot", At(11), At(13.8)),
                new(DrillStep.ClusterLane, "verify", "cluster serving again (probe)", At(20), At(20.6)),
                new(DrillStep.ClusterLane, "verify", "canaries read back", At(20.6), At(21)),
            ],
            MovedAside = [new MovedDataDir("master-1", "/var/lib/etcd", "/var/lib/etcd.dr-20261206T030009Z", "restore")],
            ToolVersions = new Dictionary<string, string> { ["etcd-dr"] = ToolVersion.Current, ["etcd"] = "3.4.23" },
        };
        var report = DrillAnalysis.Report(DrillScenario.Of(DrillScenarioKind.WipeAll), run, new DrillContext("run-1", "lab", "kubeadm", "lab (/tmp/lab)", ["master-1", "master-2", "master-3"]), At(21.2));
        Assert.True(report.Passed, report.FailedCheck);
        return report with
        {
            History = [.. Enumerable.Range(0, 6).Select(i => new DrillHistoryEntry($"r{i}", "lab", "kubeadm", i % 2 == 0 ? "wipe-all" : "lose-quorum", At(-86400 * (6 - i)), i != 2, 10 + i * 0.7, 1)), report.ToHistoryEntry()],
        };
    }

    [GeneratedRegex(@"<rect class=""step""")]
    private static partial Regex StepRect();

    [GeneratedRegex(@":CONSOLE[:(]")]
    private static partial Regex ConsoleLine();
}
