using System.Globalization;
using System.Text;
using EtcdDr.Snapshots;

namespace EtcdDr.Schedule;

/// <summary>What one scheduled run did, for the metrics file.</summary>
public enum RunOutcome { Success, Partial, Failed, SkippedNotLeader, SkippedBusy }

/// <summary>
/// node_exporter textfile-collector metrics, rewritten atomically after every run. Counters and the
/// last success time are carried over from the previous file, so an alert fires when snapshots
/// silently stop, even if every run since has failed. With onlyIfLeader only the leader's file ever
/// records a success (followers stay at 0, and a former leader's value ages), so the alert takes
/// the newest over the cluster's masters:
/// `time() - max by (cluster) (etcd_dr_snapshot_last_success_timestamp_seconds) > 2 * interval`.
/// A follower's healthy stand-down is its own gauge, last_not_leader_timestamp_seconds.
/// </summary>
public static class TextfileMetrics
{
    private const string Prefix = "etcd_dr_snapshot_";

    public static async Task WriteAsync(string path, string cluster, RunOutcome outcome, SnapshotManifest? manifest, TimeSpan duration, DateTimeOffset now, CancellationToken ct)
    {
        var previous = File.Exists(path) ? Read(await File.ReadAllTextAsync(path, ct).ConfigureAwait(false)) : new Dictionary<string, double>();
        double Carry(string name) => previous.GetValueOrDefault(name);
        var succeeded = outcome is RunOutcome.Success or RunOutcome.Partial;
        var failed = outcome is RunOutcome.Failed or RunOutcome.Partial;

        var lines = new StringBuilder();
        void Metric(string name, string type, string help, double value)
        {
            lines.Append("# HELP ").Append(Prefix).Append(name).Append(' ').Append(help).Append('\n');
            lines.Append("# TYPE ").Append(Prefix).Append(name).Append(' ').Append(type).Append('\n');
            lines.Append(Prefix).Append(name).Append("{cluster=\"").Append(cluster).Append("\"} ")
                .Append(value.ToString("0.###", CultureInfo.InvariantCulture)).Append('\n');
        }

        Metric("last_attempt_timestamp_seconds", "gauge", "Unix time of the last run, whatever its outcome.", now.ToUnixTimeSeconds());
        Metric("last_success_timestamp_seconds", "gauge", "Unix time of the last run that stored a verified snapshot.",
            succeeded ? now.ToUnixTimeSeconds() : Carry("last_success_timestamp_seconds"));
        Metric("last_not_leader_timestamp_seconds", "gauge", "Unix time of the last run that stood down because this member is not the leader (onlyIfLeader).",
            outcome is RunOutcome.SkippedNotLeader ? now.ToUnixTimeSeconds() : Carry("last_not_leader_timestamp_seconds"));
        Metric("last_run_success", "gauge", "1 if the last run stored a snapshot everywhere (or rightly skipped), else 0.",
            outcome is RunOutcome.Success or RunOutcome.SkippedNotLeader ? 1 : 0);
        Metric("last_skipped", "gauge", "1 if the last run skipped: not the leader, or another run held the lock.",
            outcome is RunOutcome.SkippedNotLeader or RunOutcome.SkippedBusy ? 1 : 0);
        Metric("duration_seconds", "gauge", "Duration of the last run.", duration.TotalSeconds);
        Metric("size_bytes", "gauge", "Size of the last stored snapshot.", manifest?.FileSize ?? Carry("size_bytes"));
        Metric("revision", "gauge", "etcd revision of the last stored snapshot.", manifest?.Revision ?? Carry("revision"));
        Metric("runs_total", "counter", "Runs, skipped ones included.", Carry("runs_total") + 1);
        Metric("failures_total", "counter", "Runs that failed to store a snapshot in at least one destination.", Carry("failures_total") + (failed ? 1 : 0));

        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        // The collector may read at any moment: write beside, then rename.
        var temp = Path.Combine(dir, "." + Path.GetFileName(path) + ".tmp");
        await File.WriteAllTextAsync(temp, lines.ToString(), ct).ConfigureAwait(false);
        File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Reads back "etcd_dr_snapshot_NAME{...} VALUE" samples by NAME.</summary>
    public static Dictionary<string, double> Read(string text)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(Prefix, StringComparison.Ordinal))
                continue;
            var nameEnd = line.IndexOfAny(['{', ' ']);
            var space = line.LastIndexOf(' ');
            if (nameEnd < 0 || space < 0)
                continue;
            if (double.TryParse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                values[line[Prefix.Length..nameEnd]] = value;
        }
        return values;
    }
}
