using System.Globalization;
using EtcdDr.Remote;
using EtcdDr.Topology;

namespace EtcdDr.Restore;

/// <summary>One preflight check: Ok false stops the restore with <see cref="Kind"/>'s exit code.</summary>
public sealed record PreflightCheck(string Name, string Host, bool Ok, string Detail, FailureKind Kind = FailureKind.Refused);

/// <summary>
/// Everything checked before ANY change, all read-only: free disk, a restore tool that fits the version,
/// the surviving data for --from-member, and the quorum (a healthy one is refused unless --force; `restore
/// member` needs one). The snapshot was verified before planning; its copy on each master is the plan's
/// first steps, hash-checked there before anything else runs.
/// </summary>
public static class RestorePreflight
{
    public static async Task<IReadOnlyList<PreflightCheck>> CheckAsync(RestorePlan plan, IReadOnlyDictionary<string, IEtcdRuntime> runtimes, IRestoreCluster cluster, CancellationToken ct)
    {
        var checks = new List<PreflightCheck>();
        var request = plan.Request;
        foreach (var host in plan.Steps.Where(s => s.Kind == StepKind.StageSnapshot).Select(s => s.Host).Distinct())
            checks.Add(await DiskAsync(runtimes[host], request.Snapshot!.Size, ct).ConfigureAwait(false));
        foreach (var step in plan.Steps.Where(s => s.Kind == StepKind.RestoreSnapshot))
            checks.Add(Tool(runtimes[step.Host].Topology));
        if (request.Strategy == RestoreStrategy.FromMember)
        {
            var seed = plan.Steps.First(s => s.Kind == StepKind.CopyDataAside).Host;
            var runtime = runtimes[seed];
            var present = await runtime.Host.ExistsAsync($"{runtime.DataDir}/member", true, ct).ConfigureAwait(false);
            checks.Add(new PreflightCheck("surviving data", seed, present, present ? $"{runtime.DataDir}/member is there" : $"{runtime.DataDir}/member does not exist: nothing to recover from; restore from a snapshot"));
            var du = await runtime.Host.RunAsync(["du", "-sb", "--", runtime.DataDir], RemoteRunOptions.Root, ct).ConfigureAwait(false);
            if (du.ExitCode == 0 && long.TryParse(du.Stdout.Split('\t', ' ')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var used))
                checks.Add(await DiskAsync(runtime, used / 2 + 1, ct).ConfigureAwait(false) with { Name = "disk (copy aside)" });
        }
        if (request.PkiArchive is { } pki)
            checks.Add(new PreflightCheck("pki archive", "local", File.Exists(pki), File.Exists(pki) ? pki : $"{pki} does not exist", FailureKind.Usage));
        checks.Add(await QuorumAsync(plan, cluster, ct).ConfigureAwait(false));
        return checks;
    }

    /// <summary>df -B1 --output=avail on the data dir's parent: at least twice the snapshot (the staged copy and the restored db).</summary>
    private static async Task<PreflightCheck> DiskAsync(IEtcdRuntime runtime, long snapshotSize, CancellationToken ct)
    {
        var parent = runtime.DataDir.TrimEnd('/');
        parent = parent.LastIndexOf('/') > 0 ? parent[..parent.LastIndexOf('/')] : "/";
        var needed = 2 * snapshotSize;
        var df = await runtime.Host.RunAsync(["df", "-B1", "--output=avail", parent], RemoteRunOptions.Root, ct).ConfigureAwait(false);
        var lines = df.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (df.ExitCode != 0 || lines.Length < 2 || !long.TryParse(lines[^1], NumberStyles.None, CultureInfo.InvariantCulture, out var available))
            return new PreflightCheck("disk", runtime.Host.Name, false, $"`df -B1 --output=avail {parent}` failed: {Failures.OneLine(df.Stderr)}", FailureKind.General);
        return new PreflightCheck("disk", runtime.Host.Name, available >= needed,
            $"{available} bytes free on {parent}, {needed} needed (2 x snapshot)" + (available >= needed ? "" : ": free space first"));
    }

    /// <summary>3.4: etcdctl; 3.5: etcdutl (or etcdctl); 3.6+: etcdutl only; or the etcd image for the in-image path.</summary>
    public static PreflightCheck Tool(MasterTopology t)
    {
        var (major, minor) = Version(t.EtcdVersion);
        var ctl = t.Etcdctl.Kind != "none";
        var utl = t.Etcdutl.Kind != "none";
        var fits = (major, minor) switch
        {
            (3, <= 4) => ctl,
            (3, 5) => utl || ctl,
            (0, 0) => utl || ctl,
            _ => utl,
        };
        var inImage = !fits && t.Flavor is EtcdFlavor.Kubeadm or EtcdFlavor.KubesprayDocker && t.Image is not null;
        return new PreflightCheck("restore tool", t.Host, fits || inImage,
            fits ? $"etcd {t.EtcdVersion ?? "?"}: {(utl && major == 3 && minor >= 5 ? $"etcdutl ({t.Etcdutl.Kind})" : $"etcdctl ({t.Etcdctl.Kind})")}"
            : inImage ? $"etcd {t.EtcdVersion ?? "?"}: no tool on the host; the runtime runs it from {t.Image}"
            : $"etcd {t.EtcdVersion ?? "?"} needs {(major == 3 && minor <= 4 ? "etcdctl" : "etcdutl")} on the master or in its etcd image, and there is none: install it there");
    }

    private static (int Major, int Minor) Version(string? version)
    {
        var parts = (version ?? "").TrimStart('v').Split('.');
        return parts.Length >= 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var a) && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var b) ? (a, b) : (0, 0);
    }

    private static async Task<PreflightCheck> QuorumAsync(RestorePlan plan, IRestoreCluster cluster, CancellationToken ct)
    {
        var request = plan.Request;
        var health = await cluster.HealthAsync(plan.Members.Select(m => m.ClientUrl).ToList(), ct).ConfigureAwait(false);
        var healthy = health.Count(h => h.Healthy);
        var quorum = healthy > plan.Members.Count / 2 && health.Any(h => h.IsLeader);
        var detail = $"{healthy} of {plan.Members.Count} members healthy" + (health.Any(h => h.IsLeader) ? ", a leader" : ", no leader");
        if (request.Strategy == RestoreStrategy.RepairMember)
        {
            var target = request.SourceMember;
            var others = plan.Members.Where(m => m.Host != target && m.Name != target).ToList();
            var othersHealthy = health.Count(h => h.Healthy && others.Any(o => o.ClientUrl == h.ClientUrl));
            var ok = othersHealthy == others.Count && quorum;
            return new PreflightCheck("quorum", PlanStep.ClusterHost, ok, ok ? detail + ": the repair keeps the quorum"
                : detail + $": `restore member` needs every other member healthy; with the quorum lost use `restore run --from-member NAME` or a snapshot");
        }
        if (!quorum)
            return new PreflightCheck("quorum", PlanStep.ClusterHost, true, detail + ": quorum lost, a restore is needed");
        return new PreflightCheck("quorum", PlanStep.ClusterHost, request.Force, request.Force
            ? detail + ": HEALTHY, restoring anyway (--force): writes since the snapshot are lost"
            : detail + ": the quorum is HEALTHY; a restore would throw away every write since the snapshot. Use `restore member` for one broken member, or --force if you really mean it");
    }
}
