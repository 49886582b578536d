using System.Globalization;
using System.Net;
using System.Text;

namespace EtcdDr.Drill.Reports;

/// <summary>
/// report.html: ONE self-contained page (inline CSS and SVG, no script, no font, no image, no link
/// to anything), so it opens from a mail attachment or an air-gapped wiki exactly as it was written.
/// The timeline has one lane per host plus the cluster lane, steps coloured by phase, the outage
/// and recovery marked and the RTO drawn between them; below it the RTO trend of past runs.
/// </summary>
public static class HtmlReport
{
    // Colours are part of the contract with the screenshot test: it looks for them.
    public static readonly IReadOnlyDictionary<string, string> PhaseColours = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["prepare"] = "#718096",
        ["fault"] = "#dd6b20",
        ["restore"] = "#2b6cb0",
        ["verify"] = "#2f855a",
    };

    public const string FailedColour = "#c53030";
    public const string RtoColour = "#6b46c1";

    private const int Width = 1000;
    private const int LabelWidth = 150;
    private const int LaneHeight = 30;

    public static string Render(DrillReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var h = new StringBuilder();
        var verdict = MarkdownReport.Verdict(report);
        h.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">")
            .Append("<title>").Append(E($"DR drill {verdict}: {report.Scenario} on {report.Cluster}")).Append("</title>\n<style>")
            .Append(Css).Append("</style></head><body>\n");
        h.Append("<header class=\"").Append(report.Passed ? "pass" : "fail").Append("\" id=\"verdict\"><h1>DR drill ").Append(verdict).Append(": ")
            .Append(E(report.Scenario)).Append(" on ").Append(E(report.Cluster)).Append("</h1><p>").Append(E(report.ScenarioSummary)).Append("</p>");
        if (report.FailedCheck is { } failed)
            h.Append("<p class=\"failed-check\" id=\"failed-check\"><b>Failed check:</b> ").Append(E(failed)).Append("</p>");
        h.Append("</header>\n");

        Figures(h, report);
        h.Append("<section><h2>Timeline</h2>");
        Timeline(h, report);
        h.Append("</section>\n");
        Checks(h, report);
        Steps(h, report);
        Moved(h, report);
        Trend(h, report);
        Versions(h, report);
        h.Append("<footer>etcd-dr drill ").Append(E(report.RunId)).Append(" · ").Append(E(report.Target)).Append(" · started ")
            .Append(E(MarkdownReport.Time(report.StartedAt))).Append("</footer>\n</body></html>\n");
        return h.ToString();
    }

    private static void Figures(StringBuilder h, DrillReport r)
    {
        h.Append("<section class=\"figures\" id=\"figures\">");
        Figure(h, "rto", "RTO", MarkdownReport.Seconds(r.RtoSeconds), "outage to every member healthy + canary read and write");
        Figure(h, "rpo", "RPO", MarkdownReport.Seconds(r.RpoSeconds), "newest acknowledged canary vs newest that came back");
        Figure(h, "quorum", "Quorum back", r.OutageAt is { } o && r.QuorumBackAt is { } q ? MarkdownReport.Seconds((q - o).TotalSeconds) : "-", "outage to a majority serving reads and writes");
        if (r.Snapshot is { } s)
        {
            Figure(h, "snapshot-size", "Snapshot", MarkdownReport.Bytes(s.FileSize), s.Encrypted ? "encrypted with age" : "plain");
            Figure(h, "snapshot-revision", "Revision", s.Revision.ToString(CultureInfo.InvariantCulture), s.Member is null ? "etcd revision" : "from " + s.Member);
        }
        if (r.Canaries is { } c)
        {
            Figure(h, "canaries", "Canaries", $"{c.Acked - c.LostAcked}/{c.Acked}", $"acknowledged canaries back; {c.LostAcked} lost");
            Figure(h, "failed-writes", "Failed writes", c.FailedWrites.ToString(CultureInfo.InvariantCulture), "client writes that failed while the writer ran");
        }
        h.Append("</section>\n<table class=\"facts\"><tbody>");
        Fact(h, "restore strategy", r.RestoreStrategy);
        Fact(h, "flavor", r.Flavor);
        Fact(h, "target", r.Target);
        Fact(h, "outage", r.OutageAt is { } outage ? MarkdownReport.Time(outage) : "-");
        Fact(h, "recovered", r.RecoveredAt is { } rec ? MarkdownReport.Time(rec) : "-");
        if (r.Snapshot is { } snap)
            Fact(h, "snapshot", $"{snap.Location} (sha256 {snap.FileSha256})");
        foreach (var pki in r.PkiArchives)
            Fact(h, "PKI archive", pki);
        h.Append("</tbody></table>\n");
    }

    private static void Figure(StringBuilder h, string id, string label, string value, string note) =>
        h.Append("<div class=\"figure\" id=\"").Append(id).Append("\"><div class=\"label\">").Append(E(label)).Append("</div><div class=\"value\">")
            .Append(E(value)).Append("</div><div class=\"note\">").Append(E(note)).Append("</div></div>");

    private static void Fact(StringBuilder h, string name, string value) =>
        h.Append("<tr><th>").Append(E(name)).Append("</th><td>").Append(E(value)).Append("</td></tr>");

    /// <summary>The steps as an SVG Gantt chart: one lane per host, the cluster lane first.</summary>
    private static void Timeline(StringBuilder h, DrillReport r)
    {
        var lanes = new List<string> { DrillStep.ClusterLane };
        lanes.AddRange(r.Hosts.Where(x => x != DrillStep.ClusterLane));
        lanes.AddRange(r.Steps.Select(s => s.Lane).Where(l => !lanes.Contains(l)).Distinct());
        var start = r.StartedAt;
        var end = r.Steps.Select(s => s.End).Append(r.FinishedAt).Max();
        var total = Math.Max(0.001, (end - start).TotalSeconds);
        var plot = Width - LabelWidth - 20;
        double X(DateTimeOffset t) => LabelWidth + Math.Clamp((t - start).TotalSeconds / total, 0, 1) * plot;
        var height = 40 + lanes.Count * LaneHeight + 40;
        h.Append(CultureInfo.InvariantCulture, $"<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {Width} {height}\" width=\"{Width}\" height=\"{height}\" role=\"img\" aria-label=\"timeline of the drill steps per host\">");
        // Axis: a tick every "nice" number of seconds.
        var tick = NiceStep(total / 10);
        for (double t = 0; t <= total + 1e-9; t += tick)
        {
            var x = LabelWidth + t / total * plot;
            h.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x:0.#}\" y1=\"30\" x2=\"{x:0.#}\" y2=\"{height - 30}\" class=\"grid\"/><text x=\"{x:0.#}\" y=\"{height - 14}\" class=\"tick\">{t:0.#} s</text>");
        }
        for (var i = 0; i < lanes.Count; i++)
        {
            var y = 40 + i * LaneHeight;
            h.Append(CultureInfo.InvariantCulture, $"<text x=\"{LabelWidth - 8}\" y=\"{y + 18}\" class=\"lane\">{E(lanes[i])}</text>");
            foreach (var step in r.Steps.Where(s => s.Lane == lanes[i]))
            {
                var x = X(step.Start);
                var w = Math.Max(2, X(step.End) - x);
                var colour = step.Succeeded ? PhaseColours.GetValueOrDefault(step.Phase, "#4a5568") : FailedColour;
                h.Append(CultureInfo.InvariantCulture, $"<rect class=\"step\" x=\"{x:0.##}\" y=\"{y + 4}\" width=\"{w:0.##}\" height=\"{LaneHeight - 8}\" fill=\"{colour}\" data-phase=\"{step.Phase}\"><title>{E($"{step.Lane}: {step.Name} ({step.Phase}), {step.Seconds:0.00} s{(step.Error is { } err ? ", FAILED: " + err : step.Detail is { } d ? ": " + d : "")}")}</title></rect>");
                if (w > 70)
                    h.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + 4:0.##}\" y=\"{y + 19}\" class=\"steplabel\">{E(Shorten(step.Name, (int)(w / 7)))}</text>");
            }
        }
        if (r.OutageAt is { } outage)
        {
            var xo = X(outage);
            h.Append(CultureInfo.InvariantCulture, $"<line id=\"outage-mark\" x1=\"{xo:0.##}\" y1=\"24\" x2=\"{xo:0.##}\" y2=\"{height - 30}\" class=\"mark\" stroke=\"{FailedColour}\"/><text x=\"{xo + 3:0.##}\" y=\"20\" class=\"marklabel\" fill=\"{FailedColour}\">outage</text>");
            if (r.RecoveredAt is { } rec)
            {
                var xr = X(rec);
                h.Append(CultureInfo.InvariantCulture, $"<line id=\"recovered-mark\" x1=\"{xr:0.##}\" y1=\"24\" x2=\"{xr:0.##}\" y2=\"{height - 30}\" class=\"mark\" stroke=\"{RtoColour}\"/>");
                h.Append(CultureInfo.InvariantCulture, $"<rect id=\"rto-bar\" x=\"{xo:0.##}\" y=\"26\" width=\"{Math.Max(2, xr - xo):0.##}\" height=\"6\" fill=\"{RtoColour}\"/><text x=\"{(xr > Width - 220 ? xr - 3 : xr + 3):0.##}\" y=\"20\" class=\"marklabel\" text-anchor=\"{(xr > Width - 220 ? "end" : "start")}\" fill=\"{RtoColour}\">recovered: RTO {E(MarkdownReport.Seconds(r.RtoSeconds))}</text>");
            }
        }
        h.Append("</svg><p class=\"legend\">");
        foreach (var (phase, colour) in PhaseColours)
            h.Append("<span><i style=\"background:").Append(colour).Append("\"></i>").Append(phase).Append("</span>");
        h.Append("<span><i style=\"background:").Append(FailedColour).Append("\"></i>failed</span></p>");
    }

    private static double NiceStep(double raw)
    {
        if (raw <= 0)
            return 1;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var n = raw / magnitude;
        return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * magnitude;
    }

    private static string Shorten(string text, int max) => text.Length <= max ? text : max <= 1 ? "…" : text[..(max - 1)] + "…";

    private static void Checks(StringBuilder h, DrillReport r)
    {
        h.Append("<section><h2>Checks</h2><table id=\"checks\"><thead><tr><th>check</th><th>result</th><th>detail</th></tr></thead><tbody>");
        foreach (var c in r.Checks)
            h.Append("<tr class=\"").Append(c.Passed ? "pass" : "fail").Append("\"><td>").Append(E(c.Name)).Append("</td><td>").Append(c.Passed ? "pass" : "FAIL")
                .Append("</td><td>").Append(E(c.Detail)).Append("</td></tr>");
        h.Append("</tbody></table></section>\n");
    }

    private static void Steps(StringBuilder h, DrillReport r)
    {
        h.Append("<section><h2>Steps</h2><table id=\"steps\"><thead><tr><th>host</th><th>phase</th><th>step</th><th>start</th><th>seconds</th><th>result</th></tr></thead><tbody>");
        foreach (var s in r.Steps)
            h.Append(CultureInfo.InvariantCulture, $"<tr class=\"{(s.Succeeded ? "pass" : "fail")}\"><td>{E(s.Lane)}</td><td>{s.Phase}</td><td>{E(s.Name)}</td><td>+{(s.Start - r.StartedAt).TotalSeconds:0.00}</td><td>{s.Seconds:0.00}</td><td>{E(s.Error is null ? s.Detail ?? "ok" : "FAILED: " + s.Error)}</td></tr>");
        h.Append("</tbody></table></section>\n");
    }

    private static void Moved(StringBuilder h, DrillReport r)
    {
        h.Append("<section><h2>Data dirs moved aside (never deleted)</h2>");
        if (r.MovedAside.Count == 0)
        {
            h.Append("<p>none</p></section>\n");
            return;
        }
        h.Append("<table id=\"moved\"><thead><tr><th>host</th><th>from</th><th>to</th><th>by</th></tr></thead><tbody>");
        foreach (var m in r.MovedAside)
            h.Append("<tr><td>").Append(E(m.Host)).Append("</td><td><code>").Append(E(m.From)).Append("</code></td><td><code>").Append(E(m.To))
                .Append("</code></td><td>").Append(E(m.By)).Append("</td></tr>");
        h.Append("</tbody></table></section>\n");
    }

    /// <summary>RTO of the past runs (history) as a line per scenario: is recovery getting slower?</summary>
    private static void Trend(StringBuilder h, DrillReport r)
    {
        var points = r.History.Where(p => p.RtoSeconds is not null).ToList();
        h.Append("<section><h2>RTO trend</h2>");
        if (points.Count < 2)
        {
            h.Append("<p id=\"trend-empty\">").Append(points.Count == 0 ? "No history yet" : "One run so far").Append(": pass <code>--history DIR</code> to every drill to see the trend.</p></section>\n");
            return;
        }
        const int w = 1000, height = 220, left = 60, right = 20, top = 20, bottom = 40;
        var max = Math.Max(1, points.Max(p => p.RtoSeconds!.Value)) * 1.15;
        double X(int i) => left + (points.Count == 1 ? 0 : i * (w - left - right) / (double)(points.Count - 1));
        double Y(double v) => top + (1 - v / max) * (height - top - bottom);
        h.Append(CultureInfo.InvariantCulture, $"<svg id=\"trend\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {height}\" width=\"{w}\" height=\"{height}\" role=\"img\" aria-label=\"RTO of past drills\">");
        var gridStep = NiceStep(max / 4);
        for (double v = 0; v <= max; v += gridStep)
            h.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{Y(v):0.#}\" x2=\"{w - right}\" y2=\"{Y(v):0.#}\" class=\"grid\"/><text x=\"{left - 6}\" y=\"{Y(v) + 4:0.#}\" class=\"lane\">{v:0.#} s</text>");
        var palette = new[] { "#2b6cb0", "#dd6b20", "#2f855a", "#6b46c1", "#b7791f", "#00a3c4", "#d53f8c" };
        var series = points.Select((p, i) => (p, i)).GroupBy(x => $"{x.p.Scenario} ({x.p.Flavor})").ToList();
        for (var s = 0; s < series.Count; s++)
        {
            var colour = palette[s % palette.Length];
            var coords = string.Join(' ', series[s].Select(x => string.Create(CultureInfo.InvariantCulture, $"{X(x.i):0.#},{Y(x.p.RtoSeconds!.Value):0.#}")));
            h.Append(CultureInfo.InvariantCulture, $"<polyline class=\"series\" points=\"{coords}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>");
            foreach (var (p, i) in series[s])
                h.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{X(i):0.#}\" cy=\"{Y(p.RtoSeconds!.Value):0.#}\" r=\"4\" fill=\"{(p.Passed ? colour : FailedColour)}\"><title>{E($"{MarkdownReport.Time(p.StartedAt)} {p.Scenario} {p.Flavor}: RTO {MarkdownReport.Seconds(p.RtoSeconds)}, {(p.Passed ? "passed" : "FAILED")}")}</title></circle>");
            h.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + 10 + s % 4 * 235}\" y=\"{height - 22 + s / 4 % 2 * 14}\" class=\"key\" fill=\"{colour}\">{E(series[s].Key)}</text>");
        }
        h.Append("</svg></section>\n");
    }

    private static void Versions(StringBuilder h, DrillReport r)
    {
        h.Append("<section><h2>Tool versions</h2><table id=\"versions\"><tbody>");
        foreach (var (tool, version) in r.ToolVersions.OrderBy(t => t.Key, StringComparer.Ordinal))
            Fact(h, tool, version);
        h.Append("</tbody></table>");
        if (r.Notes.Count > 0)
        {
            h.Append("<h2>Notes</h2><ul>");
            foreach (var note in r.Notes)
                h.Append("<li>").Append(E(note)).Append("</li>");
            h.Append("</ul>");
        }
        h.Append("</section>\n");
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private const string Css = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1040px;padding:16px;color:#1a202c;background:#fff}
        header{padding:12px 16px;border-radius:6px;margin-bottom:16px}header.pass{background:#f0fff4;border:2px solid #2f855a}header.fail{background:#fff5f5;border:2px solid #c53030}
        h1{margin:0 0 4px;font-size:22px}h2{font-size:17px;margin:22px 0 8px}.failed-check{color:#c53030}
        .figures{display:flex;flex-wrap:wrap;gap:10px}.figure{flex:1 1 130px;border:1px solid #e2e8f0;border-radius:6px;padding:8px 10px;background:#f7fafc}
        .figure .label{font-size:12px;color:#4a5568;text-transform:uppercase;letter-spacing:.04em}.figure .value{font-size:24px;font-weight:600}.figure .note{font-size:11px;color:#718096}
        table{border-collapse:collapse;width:100%;margin-top:8px}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e2e8f0;vertical-align:top}
        .facts th{width:160px;color:#4a5568;font-weight:500}tr.fail td{background:#fff5f5;color:#9b2c2c}code{font-size:12px}
        svg text{font:11px system-ui,sans-serif}.lane{text-anchor:end;fill:#2d3748}.tick{text-anchor:middle;fill:#718096}.grid{stroke:#edf2f7}
        .steplabel{fill:#fff;pointer-events:none}.mark{stroke-width:2;stroke-dasharray:4 3}.marklabel{font-weight:600}
        .legend span{margin-right:14px;font-size:12px}.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-2px;border-radius:2px}
        footer{margin-top:24px;color:#718096;font-size:12px}
        """;
}
