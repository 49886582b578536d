using System.Text;

namespace EtcdDr.Drill.Reports;

/// <summary>The three report files of one drill, written so that none ever looks whole when it is not.</summary>
public sealed record ReportPaths(string Directory, string Markdown, string Json, string Html);

public static class ReportFiles
{
    public const string MarkdownName = "report.md";
    public const string JsonName = "drill.json";
    public const string HtmlName = "report.html";

    /// <summary>./drill-&lt;cluster&gt;-&lt;UTC time&gt;/ when --report is not given.</summary>
    public static string DefaultDirectory(string cluster, DateTimeOffset startedAt) =>
        Path.GetFullPath($"drill-{cluster}-{startedAt.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture)}");

    public static async Task<ReportPaths> WriteAsync(string directory, DrillReport report, CancellationToken ct)
    {
        Directory.CreateDirectory(directory);
        var paths = new ReportPaths(Path.GetFullPath(directory), Path.Combine(directory, MarkdownName), Path.Combine(directory, JsonName), Path.Combine(directory, HtmlName));
        // JSON first: it is the record; the renderings are views of it.
        await WriteAtomicAsync(paths.Json, DrillReportJson.Render(report), ct).ConfigureAwait(false);
        await WriteAtomicAsync(paths.Markdown, MarkdownReport.Render(report), ct).ConfigureAwait(false);
        await WriteAtomicAsync(paths.Html, HtmlReport.Render(report), ct).ConfigureAwait(false);
        return paths;
    }

    /// <summary>Beside, fsync, rename: a reader sees the old file or the whole new one.</summary>
    public static async Task WriteAtomicAsync(string path, string text, CancellationToken ct)
    {
        var full = Path.GetFullPath(path);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + ".tmp");
        var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous);
        await using (stream.ConfigureAwait(false))
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(text), ct).ConfigureAwait(false);
            await stream.FlushAsync(ct).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, full, overwrite: true);
    }
}
