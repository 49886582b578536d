using System.Globalization;
using System.Text.RegularExpressions;

namespace EtcdDr.Storage;

/// <summary>What a snapshot key says about the snapshot, without opening anything.</summary>
public sealed record SnapshotKey(string Key, string Cluster, DateTimeOffset CreatedAt, long Revision, bool Encrypted)
{
    public string ManifestKey => Key + StoreLayout.ManifestSuffix;
}

/// <summary>
/// The one place that knows object names:
/// <c>&lt;cluster&gt;/snapshots/&lt;UTC time&gt;-rev&lt;revision&gt;.db[.age]</c> with its manifest at
/// the same key plus <c>.manifest.json</c>, and <c>&lt;cluster&gt;/pki/&lt;UTC time&gt;.tar.age</c>.
/// The time is ISO 8601 basic (20261122T041500Z) so that keys sort by time as plain strings.
/// </summary>
public static partial class StoreLayout
{
    public const string ManifestSuffix = ".manifest.json";

    /// <summary>File-name prefix of the hidden names the directory backends write to before the
    /// rename; such a name is never a backup, only possibly an unfinished one.</summary>
    public const string TempMarker = ".etcd-dr-tmp-";

    public static bool IsTemporary(string key) => key[(key.LastIndexOf('/') + 1)..].StartsWith(TempMarker, StringComparison.Ordinal);
    private const string TimeFormat = "yyyyMMdd'T'HHmmss'Z'";

    public static string SnapshotsPrefix(string cluster) => $"{ValidCluster(cluster)}/snapshots/";

    public static string PkiPrefix(string cluster) => $"{ValidCluster(cluster)}/pki/";

    public static string SnapshotKeyFor(string cluster, DateTimeOffset createdAt, long revision, bool encrypted) =>
        $"{SnapshotsPrefix(cluster)}{Time(createdAt)}-rev{revision}.db{(encrypted ? ".age" : "")}";

    public static string PkiKeyFor(string cluster, DateTimeOffset createdAt) => $"{PkiPrefix(cluster)}{Time(createdAt)}.tar.age";

    /// <summary>Reads a snapshot data key back; null for anything else (manifests, strays, temp names).</summary>
    public static SnapshotKey? ParseSnapshotKey(string key)
    {
        var match = SnapshotKeyPattern().Match(key);
        if (!match.Success)
            return null;
        var time = DateTimeOffset.ParseExact(match.Groups["time"].Value, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        return new SnapshotKey(key, match.Groups["cluster"].Value, time, long.Parse(match.Groups["rev"].Value, CultureInfo.InvariantCulture), match.Groups["age"].Success);
    }

    /// <summary>Reads a PKI archive key back (its time); null for anything else (manifests, strays).</summary>
    public static DateTimeOffset? ParsePkiKey(string key)
    {
        var match = PkiKeyPattern().Match(key);
        return match.Success
            ? DateTimeOffset.ParseExact(match.Groups["time"].Value, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)
            : null;
    }

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    private static string ValidCluster(string cluster) =>
        cluster.Length > 0 && cluster.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') && cluster is not ("." or "..")
            ? cluster
            : throw new DrException($"cluster name '{cluster}' may hold only letters, digits, '-', '_' and '.'", FailureKind.Usage);

    [GeneratedRegex(@"^(?<cluster>[A-Za-z0-9._-]+)/snapshots/(?<time>\d{8}T\d{6}Z)-rev(?<rev>\d+)\.db(?<age>\.age)?$")]
    private static partial Regex SnapshotKeyPattern();

    [GeneratedRegex(@"^[A-Za-z0-9._-]+/pki/(?<time>\d{8}T\d{6}Z)\.tar\.age$")]
    private static partial Regex PkiKeyPattern();
}
