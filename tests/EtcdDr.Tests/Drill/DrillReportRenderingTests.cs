using System.Text.RegularExpressions;
using System.Xml.Linq;
using EtcdDr.Drill;
using EtcdDr.Drill.Reports;
using static EtcdDr.Tests.Drill.DrillSamples;

namespace EtcdDr.Tests.Drill;

public sealed partial class DrillReportRenderingTests
{
    [Fact]
    public void Json_round_trips_every_figure()
    {
        var report = Report();
        var back = DrillReportJson.Parse(DrillReportJson.Render(report), "drill.json");
        Assert.Equal(report.RtoSeconds, back.RtoSeconds);
        Assert.Equal(report.RpoSeconds, back.RpoSeconds);
        Assert.Equal(report.Steps.Count, back.Steps.Count);
        Assert.Equal(report.Snapshot, back.Snapshot);
        Assert.Equal(report.MovedAside, back.MovedAside);
        Assert.Equal(report.Checks, back.Checks);
        Assert.Equal(report.Passed, back.Passed);
    }

    [Fact]
    public void An_interrupted_drill_is_neither_passed_nor_failed_and_names_the_step_it_stopped_in()
    {
        var scenario = DrillScenario.Parse("wipe-all")[0];
        var run = new DrillRunRecord
        {
            StartedAt = T0,
            OutageAt = At(6),
            Steps = [new(DrillStep.ClusterLane, "restore", "restore run --strategy snapshot-all", At(6.8), At(9), null, "exited 130")],
            Error = $"{DrillRunner.InterruptedText} during 'restore run --strategy snapshot-all'; nothing after it ran",
            Interrupted = true,
        };
        var report = DrillAnalysis.Report(scenario, run, new DrillContext("r1", "lab", "kubespray", "lab", ["master-1"]), At(10));
        Assert.False(report.Passed);
        Assert.True(report.Interrupted);
        Assert.StartsWith($"drill ran to the end: {DrillRunner.InterruptedText} during 'restore run", report.FailedCheck, StringComparison.Ordinal);
        Assert.Equal("INTERRUPTED", MarkdownReport.Verdict(report));
        Assert.StartsWith("# DR drill INTERRUPTED: wipe-all on lab", MarkdownReport.Render(report), StringComparison.Ordinal);
        Assert.Contains("DR drill INTERRUPTED", HtmlReport.Render(report), StringComparison.Ordinal);
        Assert.True(DrillReportJson.Parse(DrillReportJson.Render(report), "drill.json").Interrupted);
        Assert.Equal("FAILED", MarkdownReport.Verdict(Report(passed: false)));
    }

    [Fact]
    public void A_damaged_json_file_is_an_integrity_error()
    {
        var ex = Assert.Throws<DrException>(() => DrillReportJson.Parse("{\"runId\": 3", "x.json"));
        Assert.Equal(FailureKind.Integrity, ex.Kind);
    }

    [Fact]
    public void Html_is_one_self_contained_page_with_no_script_and_no_reference_outside_itself()
    {
        var html = HtmlReport.Render(Report(history: [new("a", "lab", "kubeadm", "wipe-all", At(-86400), true, 9.5, 1), new("b", "lab", "kubeadm", "wipe-all", At(0), true, 7, 1.5)]));
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("url(", html, StringComparison.OrdinalIgnoreCase);
        // The only URL allowed is the SVG namespace name, which is never fetched.
        var urls = UrlPattern().Matches(html).Select(m => m.Value).Distinct().ToList();
        Assert.Equal(["http://www.w3.org/2000/svg"], urls);
        Assert.Contains("default-src 'none'", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Html_timeline_draws_every_step_in_its_lane_and_the_rto_between_outage_and_recovery()
    {
        var report = Report();
        var html = HtmlReport.Render(report);
        var svg = XElement.Parse(SvgPattern().Match(html).Value);
        XNamespace ns = "http://www.w3.org/2000/svg";
        var rects = svg.Elements(ns + "rect").Where(r => (string?)r.Attribute("class") == "step").ToList();
        Assert.Equal(report.Steps.Count, rects.Count);
        Assert.Contains(rects, r => (string?)r.Attribute("fill") == HtmlReport.PhaseColours["restore"]);
        Assert.Contains(rects, r => (string?)r.Attribute("fill") == HtmlReport.PhaseColours["fault"]);
        var outage = svg.Elements(ns + "line").Single(l => (string?)l.Attribute("id") == "outage-mark");
        var recovered = svg.Elements(ns + "line").Single(l => (string?)l.Attribute("id") == "recovered-mark");
        var bar = svg.Elements(ns + "rect").Single(r => (string?)r.Attribute("id") == "rto-bar");
        double D(XElement e, string a) => double.Parse((string)e.Attribute(a)!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(D(outage, "x1"), D(bar, "x"), 1);
        Assert.Equal(D(recovered, "x1") - D(outage, "x1"), D(bar, "width"), 1);
        // 14 s of drill over 830 px: the 7 s RTO is half of it.
        Assert.Equal(830 * 7.0 / 14, D(bar, "width"), 0);
        foreach (var lane in new[] { "cluster", "master-1", "master-2", "master-3" })
            Assert.Contains(svg.Elements(ns + "text"), t => t.Value == lane);
        Assert.Contains("7.00 s", html, StringComparison.Ordinal);
        Assert.Contains("/var/lib/etcd.dr-20261206T020006Z", html, StringComparison.Ordinal);
        Assert.Contains("20.0 KiB", html, StringComparison.Ordinal);
        Assert.Contains("1234", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Html_escapes_what_comes_from_hosts_and_errors()
    {
        var report = Report() with { Notes = ["<script>alert(1)</script>"], Checks = [new DrillCheck("x", false, "a & <b>")], FailedCheck = "x: a & <b>", Passed = false };
        var html = HtmlReport.Render(report);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("a &amp; &lt;b&gt;", html, StringComparison.Ordinal);
        Assert.Contains("DR drill FAILED", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Html_trend_plots_one_point_per_past_run()
    {
        var history = Enumerable.Range(0, 5).Select(i => new DrillHistoryEntry($"r{i}", "lab", "kubeadm", i % 2 == 0 ? "wipe-all" : "lose-quorum", At(i * 3600), i != 3, 5 + i, 0)).ToList();
        var html = HtmlReport.Render(Report(history: history));
        var trend = XElement.Parse(TrendPattern().Match(html).Value);
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(5, trend.Elements(ns + "circle").Count());
        Assert.Equal(2, trend.Elements(ns + "polyline").Count());
        Assert.Single(trend.Elements(ns + "circle"), c => (string?)c.Attribute("fill") == HtmlReport.FailedColour);
        Assert.DoesNotContain("trend-empty", html, StringComparison.Ordinal);
        Assert.Contains("trend-empty", HtmlReport.Render(Report()), StringComparison.Ordinal);
    }

    [Fact]
    public void Markdown_names_the_failed_check_and_lists_every_step_and_moved_dir()
    {
        var report = Report(passed: false);
        var md = MarkdownReport.Render(report);
        Assert.StartsWith("# DR drill FAILED: wipe-all on lab", md, StringComparison.Ordinal);
        Assert.Contains("**Failed check:** canaries from before the snapshot intact: 5 of 10 came back", md, StringComparison.Ordinal);
        Assert.Equal(report.Steps.Count, md.Split('\n').Count(l => l.StartsWith("| cluster |", StringComparison.Ordinal) || l.StartsWith("| master-", StringComparison.Ordinal)) - report.MovedAside.Count);
        Assert.Contains("| master-1 | `/var/lib/etcd` | `/var/lib/etcd.dr-20261206T020006Z` | restore |", md, StringComparison.Ordinal);
        Assert.Contains("| RTO | 7.00 s", md, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Report_files_are_written_whole_into_the_folder()
    {
        using var dir = new TempDir();
        var paths = await ReportFiles.WriteAsync(Path.Combine(dir.Path, "r"), Report(), CancellationToken.None);
        Assert.True(File.Exists(paths.Html) && File.Exists(paths.Markdown) && File.Exists(paths.Json));
        Assert.Empty(Directory.GetFiles(paths.Directory, ".*"));
        Assert.Equal(Report().RtoSeconds, DrillReportJson.Parse(await File.ReadAllTextAsync(paths.Json), paths.Json).RtoSeconds);
        Assert.Matches(@"/drill-prod-20261206T020000Z$", ReportFiles.DefaultDirectory("prod", T0));
    }

    [GeneratedRegex(@"https?://[^\s""'<>)]+")]
    private static partial Regex UrlPattern();

    [GeneratedRegex(@"<svg id=""timeline"".*?</svg>", RegexOptions.Singleline)]
    private static partial Regex SvgPattern();

    [GeneratedRegex(@"<svg id=""trend"".*?</svg>", RegexOptions.Singleline)]
    private static partial Regex TrendPattern();
}
