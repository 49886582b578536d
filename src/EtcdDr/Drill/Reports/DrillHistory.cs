using System.Globalization;

namespace EtcdDr.Drill.Reports;

/// <summary>
/// `--history DIR`: every run's drill.json is appended as its own file (never rewritten), named so the
/// folder sorts by time; the trend reads them back. A file that does not parse is skipped and named,
/// not fatal: one damaged file must not hide every other run.
/// </summary>
public static class DrillHistory
{
    public static async Task<string> AppendAsync(string directory, DrillReport report, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(report);
        Directory.CreateDirectory(directory);
        var name = $"{report.StartedAt.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}-{report.Cluster}-{report.Flavor}-{report.Scenario}-{report.RunId}.json";
        var path = Path.Combine(directory, name);
        await ReportFiles.WriteAtomicAsync(path, DrillReportJson.Render(report), ct).ConfigureAwait(false);
        return path;
    }

    /// <summary>Every run of <paramref name="cluster"/> in the folder, oldest first, and the files that could not be read.</summary>
    public static async Task<(IReadOnlyList<DrillHistoryEntry> Entries, IReadOnlyList<string> Unreadable)> ReadAsync(string directory, string cluster, CancellationToken ct)
    {
        var entries = new List<DrillHistoryEntry>();
        var unreadable = new List<string>();
        if (!Directory.Exists(directory))
            return (entries, unreadable);
        foreach (var file in Directory.EnumerateFiles(directory, "*.json").Order(StringComparer.Ordinal))
        {
            try
            {
                var report = DrillReportJson.Parse(await File.ReadAllTextAsync(file, ct).ConfigureAwait(false), file);
                if (report.Cluster == cluster)
                    entries.Add(report.ToHistoryEntry());
            }
            catch (DrException ex)
            {
                unreadable.Add($"{file}: {ex.Message}");
            }
        }
        return ([.. entries.OrderBy(e => e.StartedAt)], unreadable);
    }
}
