using System.Globalization;

namespace EtcdDr.Topology.Runtimes;

/// <summary>The `snapshot restore` command line for one etcd version: which program, its arguments and environment.</summary>
/// <param name="Program">etcdctl or etcdutl.</param>
/// <param name="Arguments">Everything after the program, starting with "snapshot restore".</param>
public sealed record RestoreCommand(string Program, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Environment);

/// <summary>
/// Chooses the restore tool from the etcd version discovery found (DESIGN.md section 4):
/// 3.4 restores with `ETCDCTL_API=3 etcdctl snapshot restore`; 3.5 with `etcdutl snapshot restore`
/// (etcdctl's is deprecated there); from 3.5.10 etcdutl also takes --bump-revision N
/// --mark-compacted so Kubernetes watchers see "compacted" instead of revisions going backwards;
/// 3.6 has no `etcdctl snapshot restore` at all.
/// </summary>
public static class EtcdRestoreTool
{
    /// <summary>
    /// The usual --bump-revision: one billion is far above any revision a real cluster reaches between
    /// two snapshots (a busy cluster does well under 10^4 writes a second, so 10^9 is weeks of
    /// writes), and far below the int64 limit, so any number of restores still fit.
    /// </summary>
    public const long RecommendedBumpRevision = 1_000_000_000;

    public static (int Major, int Minor, int Patch)? ParseVersion(string? version)
    {
        if (string.IsNullOrWhiteSpace(version))
            return null;
        var parts = version.Trim().TrimStart('v').Split('.', '-', '+');
        return parts.Length >= 3
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var minor)
            && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var patch)
            ? (major, minor, patch) : null;
    }

    /// <summary>Whether this version's tool takes --bump-revision/--mark-compacted (etcdutl 3.5.10+).</summary>
    public static bool SupportsBumpRevision((int Major, int Minor, int Patch) v) => v.Major > 3 || v.Major == 3 && (v.Minor > 5 || v.Minor == 5 && v.Patch >= 10);

    /// <summary>
    /// The command for <paramref name="request"/> on a member of <paramref name="version"/>. A
    /// BumpRevision is passed where the tool has the flag and left out below 3.5.10, where no tool does.
    /// </summary>
    public static RestoreCommand For(string host, string? version, SnapshotRestoreRequest request)
    {
        var v = ParseVersion(version)
            ?? throw new DrException($"{host}: the etcd version is unknown, so the restore tool cannot be chosen (3.4: etcdctl, 3.5+: etcdutl); discovery reads it from the etcd image tag or `etcd --version`", FailureKind.Usage);
        if (v.Major != 3 || v.Minor < 4)
            throw new DrException($"{host}: etcd {version} is not supported; etcd-dr restores etcd 3.4 and newer", FailureKind.Usage);
        var args = new List<string>
        {
            "snapshot", "restore", request.SnapshotPath,
            $"--name={request.MemberName}",
            $"--initial-cluster={request.InitialCluster}",
            $"--initial-cluster-token={request.InitialClusterToken}",
            $"--initial-advertise-peer-urls={request.InitialAdvertisePeerUrls}",
            $"--data-dir={request.DataDir}",
        };
        if (v.Minor == 4)
            return new RestoreCommand("etcdctl", args, new Dictionary<string, string>(StringComparer.Ordinal) { ["ETCDCTL_API"] = "3" });
        if (request.BumpRevision > 0 && SupportsBumpRevision(v))
            args.AddRange([$"--bump-revision={request.BumpRevision.ToString(CultureInfo.InvariantCulture)}", "--mark-compacted"]);
        return new RestoreCommand("etcdutl", args, new Dictionary<string, string>(StringComparer.Ordinal));
    }
}
