using System.Globalization;
using System.Text;

namespace EtcdDr.Drill.Reports;

/// <summary>report.md: what a team pastes into a review or a ticket.</summary>
public static class MarkdownReport
{
    /// <summary>PASSED, FAILED, or INTERRUPTED (Ctrl-C or SIGTERM: neither a pass nor a finding about the backups).</summary>
    public static string Verdict(DrillReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return report.Passed ? "PASSED" : report.Interrupted ? "INTERRUPTED" : "FAILED";
    }

    public static string Render(DrillReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var md = new StringBuilder();
        md.Append(CultureInfo.InvariantCulture, $"# DR drill {Verdict(report)}: {report.Scenario} on {report.Cluster}\n\n");
        md.Append(CultureInfo.InvariantCulture, $"{report.ScenarioSummary}.\n\n");
        if (report.FailedCheck is { } failed)
            md.Append(CultureInfo.InvariantCulture, $"**Failed check:** {Cell(failed)}\n\n");
        md.Append("| | |\n|---|---|\n");
        Row(md, "RTO", Seconds(report.RtoSeconds) + " (outage to every member healthy and a canary read and write)");
        Row(md, "RPO", Seconds(report.RpoSeconds) + " (newest acknowledged canary against the newest that came back)");
        Row(md, "quorum back after", report.OutageAt is { } o && report.QuorumBackAt is { } q ? Seconds((q - o).TotalSeconds) : "-");
        Row(md, "restore strategy", report.RestoreStrategy);
        Row(md, "flavor", report.Flavor);
        Row(md, "target", report.Target);
        Row(md, "started", Time(report.StartedAt));
        Row(md, "outage", report.OutageAt is { } outage ? Time(outage) : "-");
        Row(md, "recovered", report.RecoveredAt is { } rec ? Time(rec) : "-");
        Row(md, "run id", report.RunId);
        if (report.Snapshot is { } s)
        {
            Row(md, "snapshot", $"{s.Location}: {Bytes(s.FileSize)}, revision {s.Revision}, {(s.Encrypted ? "encrypted (age)" : "plain")}, sha256 `{s.FileSha256}`");
        }
        foreach (var pki in report.PkiArchives)
            Row(md, "PKI archive", pki);
        if (report.Canaries is { } c)
            Row(md, "canaries", $"{c.Written} written every 100 ms, {c.Acked} acknowledged, newest #{c.NewestWrittenSequence}; newest back #{c.NewestRecoveredSequence}; {c.LostAcked} lost; {c.FailedWrites} failed writes");

        md.Append("\n## Checks\n\n| check | result | detail |\n|---|---|---|\n");
        foreach (var check in report.Checks)
            md.Append(CultureInfo.InvariantCulture, $"| {Cell(check.Name)} | {(check.Passed ? "pass" : "**FAIL**")} | {Cell(check.Detail)} |\n");

        md.Append("\n## Timeline\n\n| host | phase | step | start (+s) | seconds | result |\n|---|---|---|---|---|---|\n");
        foreach (var step in report.Steps)
            md.Append(CultureInfo.InvariantCulture, $"| {Cell(step.Lane)} | {step.Phase} | {Cell(step.Name)} | {(step.Start - report.StartedAt).TotalSeconds:0.00} | {step.Seconds:0.00} | {Cell(step.Error is null ? step.Detail ?? "ok" : "FAILED: " + step.Error)} |\n");

        md.Append("\n## Data dirs moved aside (never deleted)\n\n");
        if (report.MovedAside.Count == 0)
            md.Append("none\n");
        else
        {
            md.Append("| host | from | to | by |\n|---|---|---|---|\n");
            foreach (var m in report.MovedAside)
                md.Append(CultureInfo.InvariantCulture, $"| {Cell(m.Host)} | `{m.From}` | `{m.To}` | {Cell(m.By)} |\n");
        }

        md.Append("\n## Tool versions\n\n| tool | version |\n|---|---|\n");
        foreach (var (tool, version) in report.ToolVersions.OrderBy(t => t.Key, StringComparer.Ordinal))
            md.Append(CultureInfo.InvariantCulture, $"| {Cell(tool)} | {Cell(version)} |\n");

        if (report.History.Count > 1)
        {
            md.Append("\n## RTO trend\n\n| started | scenario | flavor | result | RTO | RPO |\n|---|---|---|---|---|---|\n");
            foreach (var h in report.History)
                md.Append(CultureInfo.InvariantCulture, $"| {Time(h.StartedAt)} | {h.Scenario} | {h.Flavor} | {(h.Passed ? "pass" : "FAIL")} | {Seconds(h.RtoSeconds)} | {Seconds(h.RpoSeconds)} |\n");
        }
        if (report.Notes.Count > 0)
        {
            md.Append("\n## Notes\n\n");
            foreach (var note in report.Notes)
                md.Append("- ").Append(note).Append('\n');
        }
        return md.ToString();
    }

    private static void Row(StringBuilder md, string name, string value) => md.Append("| ").Append(name).Append(" | ").Append(Cell(value)).Append(" |\n");

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    public static string Seconds(double? seconds) => seconds is { } s ? s.ToString("0.00", CultureInfo.InvariantCulture) + " s" : "-";

    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff 'UTC'", CultureInfo.InvariantCulture);

    public static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        >= 1L << 10 => (bytes / (double)(1L << 10)).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };
}
