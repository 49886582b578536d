using System.Globalization;
using System.Text;

namespace EtcdDr.Drill.Reports;

/// <summary>
/// node_exporter textfile metrics for drills, one series per cluster in one file, so several
/// clusters drilled from one operator machine share it. The last PASSED drill's time, RTO and RPO
/// are carried over through failed runs, so the alert
/// `time() - etcd_dr_drill_last_success_timestamp_seconds > 30 * 86400` fires when no drill has
/// passed for 30 days, however many have failed since.
/// </summary>
public static class DrillMetrics
{
    public const string Prefix = "etcd_dr_drill_";

    private static readonly (string Name, string Type, string Help)[] Series =
    [
        ("last_success_timestamp_seconds", "gauge", "Unix time of the last drill that passed."),
        ("last_success_rto_seconds", "gauge", "RTO of the last drill that passed: outage to every member healthy and a canary read and write."),
        ("last_success_rpo_seconds", "gauge", "RPO of the last drill that passed: newest acknowledged canary against the newest that came back."),
        ("last_run_timestamp_seconds", "gauge", "Unix time of the last drill, whatever its outcome."),
        ("last_run_success", "gauge", "1 if the last drill passed, else 0."),
        ("runs_total", "counter", "Drills run."),
        ("failures_total", "counter", "Drills that failed."),
    ];

    public static async Task WriteAsync(string path, DrillReport report, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(report);
        var all = File.Exists(path) ? Read(await File.ReadAllTextAsync(path, ct).ConfigureAwait(false)) : [];
        var mine = all.TryGetValue(report.Cluster, out var previous) ? previous : new Dictionary<string, double>(StringComparer.Ordinal);
        var next = new Dictionary<string, double>(mine, StringComparer.Ordinal)
        {
            ["last_run_timestamp_seconds"] = now.ToUnixTimeSeconds(),
            ["last_run_success"] = report.Passed ? 1 : 0,
            ["runs_total"] = mine.GetValueOrDefault("runs_total") + 1,
            ["failures_total"] = mine.GetValueOrDefault("failures_total") + (report.Passed ? 0 : 1),
        };
        if (report.Passed)
        {
            next["last_success_timestamp_seconds"] = now.ToUnixTimeSeconds();
            next["last_success_rto_seconds"] = report.RtoSeconds ?? 0;
            next["last_success_rpo_seconds"] = report.RpoSeconds ?? 0;
        }
        all[report.Cluster] = next;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await ReportFiles.WriteAtomicAsync(path, Render(all), ct).ConfigureAwait(false);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    public static string Render(IReadOnlyDictionary<string, Dictionary<string, double>> clusters)
    {
        ArgumentNullException.ThrowIfNull(clusters);
        var text = new StringBuilder();
        foreach (var (name, type, help) in Series)
        {
            text.Append("# HELP ").Append(Prefix).Append(name).Append(' ').Append(help).Append('\n');
            text.Append("# TYPE ").Append(Prefix).Append(name).Append(' ').Append(type).Append('\n');
            foreach (var (cluster, values) in clusters.OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                if (values.TryGetValue(name, out var value))
                    text.Append(Prefix).Append(name).Append("{cluster=\"").Append(cluster).Append("\"} ").Append(value.ToString("0.###", CultureInfo.InvariantCulture)).Append('\n');
            }
        }
        return text.ToString();
    }

    /// <summary>Reads "etcd_dr_drill_NAME{cluster="C"} VALUE" samples back, per cluster.</summary>
    public static Dictionary<string, Dictionary<string, double>> Read(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var clusters = new Dictionary<string, Dictionary<string, double>>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(Prefix, StringComparison.Ordinal))
                continue;
            var open = line.IndexOf("{cluster=\"", StringComparison.Ordinal);
            var close = open < 0 ? -1 : line.IndexOf("\"}", open, StringComparison.Ordinal);
            var space = line.LastIndexOf(' ');
            if (open < 0 || close < 0 || space < close)
                continue;
            var cluster = line[(open + 10)..close];
            if (!double.TryParse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                continue;
            if (!clusters.TryGetValue(cluster, out var values))
                clusters[cluster] = values = new Dictionary<string, double>(StringComparer.Ordinal);
            values[line[Prefix.Length..open]] = value;
        }
        return clusters;
    }
}
