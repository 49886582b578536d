using System.Globalization;
using EtcdDr.Topology;

namespace EtcdDr.Restore;

/// <summary>
/// Decides, never does: topology + request -> the ordered steps per host (DESIGN.md section 5). Pure:
/// it calls only the runtimes' Describe* and EditConfig (functions of the topology read at plan time),
/// so `restore plan` touches nothing and a plan is a golden transcript in tests.
/// </summary>
public static class RestorePlanner
{
    /// <summary>etcd 3.5.10+: what --bump-revision adds, as the Kubernetes docs do (watchers see "compacted").</summary>
    public const long BumpRevisionBy = 1_000_000_000;

    /// <param name="endpointUrls">Host -> the inventory's etcdClientUrl, where it gives one: health checks go there.</param>
    public static RestorePlan Plan(RestoreRequest request, IReadOnlyList<MasterTopology> topology, IReadOnlyDictionary<string, IEtcdRuntime> runtimes,
        IReadOnlyDictionary<string, string>? endpointUrls = null)
    {
        if (topology.Count == 0)
            throw new DrException("the inventory names no masters", FailureKind.Usage);
        foreach (var name in request.Replacements.Keys.Where(n => topology.All(t => t.Host != n)))
            throw new DrException($"--replace {name}=...: no master named '{name}' in the inventory", FailureKind.Usage);
        var members = topology.Select(t => Member(t, request, endpointUrls?.GetValueOrDefault(t.Host))).ToList();
        var b = new Builder(request, topology, runtimes, members);
        switch (request.Strategy)
        {
            case RestoreStrategy.SnapshotAll:
                SnapshotAll(b);
                break;
            case RestoreStrategy.ForceNewCluster:
                ForceNewCluster(b, seed: topology[0], fromSnapshot: true);
                break;
            case RestoreStrategy.FromMember:
                ForceNewCluster(b, seed: Find(topology, request.SourceMember, "--from-member"), fromSnapshot: false);
                break;
            case RestoreStrategy.RepairMember:
                RepairMember(b, Find(topology, request.SourceMember, "restore member"));
                break;
        }
        return new RestorePlan(request, topology, members, b.Steps);
    }

    private static MasterTopology Find(IReadOnlyList<MasterTopology> topology, string? name, string flag) =>
        topology.FirstOrDefault(t => t.Host == name || t.MemberName == name)
        ?? throw new DrException($"{flag} {name}: no such master; known: {string.Join(", ", topology.Select(t => t.Host))}", FailureKind.Usage);

    /// <summary>The member as it must be after the restore: a replaced master's URLs carry its new address.</summary>
    public static PlannedMember Member(MasterTopology t, RestoreRequest request, string? endpointUrl = null)
    {
        var peer = t.PeerUrls.FirstOrDefault() ?? throw new DrException($"{t.Host}: {t.ConfigFile} names no peer URL", FailureKind.Usage);
        var client = t.ClientUrls.FirstOrDefault(u => !IsLoopback(u)) ?? t.ClientUrls.FirstOrDefault()
            ?? throw new DrException($"{t.Host}: {t.ConfigFile} names no client URL", FailureKind.Usage);
        if (request.Replacements.TryGetValue(t.Host, out var address))
        {
            peer = WithHost(peer, address);
            client = WithHost(client, address);
            endpointUrl = null; // a replaced master is reached at its new address
        }
        return new PlannedMember(t.MemberName, t.Host, peer, client, endpointUrl);
    }

    private static bool IsLoopback(string url) => Uri.TryCreate(url, UriKind.Absolute, out var u) && u.IsLoopback;

    public static string WithHost(string url, string host) =>
        new UriBuilder(new Uri(url)) { Host = host }.Uri.GetLeftPart(UriPartial.Authority);

    public static string InitialCluster(IEnumerable<PlannedMember> members) =>
        string.Join(",", members.Select(m => $"{m.Name}={m.PeerUrl}"));

    /// <summary>--bump-revision for this etcd version: from 3.5.10 on, else 0 (the flag does not exist).</summary>
    public static long BumpRevisionFor(string? version)
    {
        if (version is null)
            return 0;
        var parts = version.TrimStart('v').Split('.', '-', '+');
        if (parts.Length < 3 || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out var major)
            || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var minor) || !int.TryParse(parts[2], CultureInfo.InvariantCulture, out var patch))
            return 0;
        return (major, minor, patch) switch
        {
            ( > 3, _, _) => BumpRevisionBy,
            (3, > 5, _) => BumpRevisionBy,
            (3, 5, >= 10) => BumpRevisionBy,
            _ => 0,
        };
    }

    // ---- strategies ----

    private static void SnapshotAll(Builder b)
    {
        var all = b.Topology;
        foreach (var t in all)
            b.Stage(t, "stage");
        b.AdoptParkedManifests(all);
        b.PlacePki();
        foreach (var t in all)
            b.StopControlPlane(t);
        foreach (var t in all)
            b.Add(t, StepKind.StopEtcd, "stop etcd", b.Runtime(t).DescribeEtcd(stop: true), group: "stop-etcd");
        foreach (var t in all)
            b.MoveAside(t, group: "aside");
        var cluster = InitialCluster(b.Members);
        foreach (var t in all)
            b.RestoreSnapshot(t, cluster, group: "restore");
        foreach (var t in all)
            b.EditConfig(t, b.ReplacementUrls(t, new Dictionary<string, string?> { ["initial-cluster"] = cluster }));
        // Every member must start at once: a member of a restored multi-member cluster serves clients
        // only after a quorum of its peers has started too.
        foreach (var t in all)
            b.Add(t, StepKind.StartEtcd, "start etcd (all members together)", b.Runtime(t).DescribeEtcd(stop: false), group: "start-etcd");
        b.WaitHealthy(b.Members, "wait for a leader and every member healthy");
        foreach (var t in all)
            b.StartControlPlane(t);
        b.Verify();
    }

    private static void ForceNewCluster(Builder b, MasterTopology seed, bool fromSnapshot)
    {
        var seedMember = b.MemberOf(seed);
        if (fromSnapshot)
            b.Stage(seed, "stage");
        b.AdoptParkedManifests(b.Topology);
        b.PlacePki();
        foreach (var t in b.Topology)
            b.StopControlPlane(t);
        foreach (var t in b.Topology)
            b.Add(t, StepKind.StopEtcd, "stop etcd", b.Runtime(t).DescribeEtcd(stop: true), group: "stop-etcd");
        if (fromSnapshot)
        {
            b.MoveAside(seed, group: null);
            b.RestoreSnapshot(seed, InitialCluster([seedMember]), group: null);
        }
        else
        {
            var aside = b.Request.AsideFor(seed.DataDir);
            b.Add(seed, StepKind.CopyDataAside, $"copy the surviving data dir aside to {aside} before force-new-cluster rewrites it",
                [$"cp -a {seed.DataDir} {aside}"], path: aside);
        }
        b.EditConfig(seed, b.ReplacementUrls(seed, new Dictionary<string, string?> { ["force-new-cluster"] = "true" }), "set force-new-cluster");
        b.Add(seed, StepKind.StartEtcd, "start etcd once with force-new-cluster: a one-member cluster", b.Runtime(seed).DescribeEtcd(stop: false));
        b.WaitHealthy([seedMember], "wait until the one-member cluster has a leader", checkPeerUrls: false);
        b.Add(seed, StepKind.StopEtcd, "stop etcd to take force-new-cluster out", b.Runtime(seed).DescribeEtcd(stop: true));
        b.EditConfig(seed, new Dictionary<string, string?> { ["force-new-cluster"] = null }, "take force-new-cluster out");
        b.Add(seed, StepKind.StartEtcd, "start etcd without force-new-cluster", b.Runtime(seed).DescribeEtcd(stop: false));
        b.WaitHealthy([seedMember], "wait until the one-member cluster has a leader", checkPeerUrls: false);
        b.Add(PlanStep.ClusterHost, StepKind.MemberUpdate, $"member update {seedMember.Name} --peer-urls={seedMember.PeerUrl} (only when it differs; force-new-cluster may leave localhost)",
            [$"etcdctl member update <id of {seedMember.Name}> --peer-urls={seedMember.PeerUrl}"], member: seedMember);
        var joined = new List<PlannedMember> { seedMember };
        foreach (var t in b.Topology.Where(t => t != seed))
            b.Rejoin(t, joined);
        foreach (var t in b.Topology)
            b.StartControlPlane(t);
        b.Verify();
    }

    private static void RepairMember(Builder b, MasterTopology target)
    {
        var member = b.MemberOf(target);
        b.AdoptParkedManifests([target]);
        b.PlacePki();
        b.Add(target, StepKind.StopEtcd, "stop etcd", b.Runtime(target).DescribeEtcd(stop: true));
        b.Add(PlanStep.ClusterHost, StepKind.MemberRemove, $"member remove {member.Name} (the quorum stays healthy)",
            [$"etcdctl member remove <id of {member.Name}>"], member: member);
        var others = b.Members.Where(m => m != member).ToList();
        b.Rejoin(target, others);
        b.Verify();
    }

    /// <summary>Accumulates steps; every per-host detail (commands, config diffs) comes from the runtime.</summary>
    private sealed class Builder(RestoreRequest request, IReadOnlyList<MasterTopology> topology, IReadOnlyDictionary<string, IEtcdRuntime> runtimes, IReadOnlyList<PlannedMember> members)
    {
        public RestoreRequest Request => request;
        public IReadOnlyList<MasterTopology> Topology => topology;
        public IReadOnlyList<PlannedMember> Members => members;
        public List<PlanStep> Steps { get; } = [];

        // Each host's config as the plan's earlier edits leave it: a later edit is diffed against that.
        private readonly Dictionary<string, string?> _config = topology.ToDictionary(t => t.Host, t => t.ConfigText, StringComparer.Ordinal);

        public IEtcdRuntime Runtime(MasterTopology t) =>
            runtimes.TryGetValue(t.Host, out var r) ? r : throw new DrException($"{t.Host}: no runtime for flavor {t.Flavor}", FailureKind.Usage);

        public PlannedMember MemberOf(MasterTopology t) => members.First(m => m.Host == t.Host);

        public PlanStep Add(MasterTopology t, StepKind kind, string title, IReadOnlyList<string> commands, string? group = null, string? path = null) =>
            Add(t.Host, kind, title, commands, group: group, path: path);

        public PlanStep Add(string host, StepKind kind, string title, IReadOnlyList<string> commands, string? group = null, string? path = null,
            PlannedMember? member = null, IReadOnlyList<PlannedMember>? expected = null, SnapshotRestoreRequest? restore = null,
            IReadOnlyDictionary<string, string?>? settings = null, IReadOnlyList<ConfigChange>? changes = null, bool checkPeerUrls = true)
        {
            var step = new PlanStep(Steps.Count, kind, host, title)
            {
                Commands = commands, Group = group, Path = path, Member = member, Expected = expected, Restore = restore, Settings = settings, Changes = changes,
                CheckPeerUrls = checkPeerUrls,
            };
            Steps.Add(step);
            return step;
        }

        public void Stage(MasterTopology t, string group)
        {
            var snapshot = request.Snapshot ?? throw new DrException($"the {request.Strategy} strategy needs a snapshot (--snapshot FILE or --from URL)", FailureKind.Usage);
            Add(t, StepKind.StageSnapshot, $"copy the snapshot to {request.StagedSnapshotPath} and check its SHA-256 there",
                [$"install -d -m 0700 {request.StagingDir}", $"install -m 0600 /dev/stdin {request.StagedSnapshotPath}  < {snapshot.Origin} ({snapshot.Size} bytes)",
                 $"sha256sum {request.StagedSnapshotPath}  (must be {snapshot.Sha256})"], group: group, path: request.StagedSnapshotPath);
        }

        /// <summary>Hand-parked etcd manifests moved where the runtime parks them (before the runtime stops anything).</summary>
        public void AdoptParkedManifests(IEnumerable<MasterTopology> hosts)
        {
            foreach (var t in hosts.Where(HandParkedManifest.Applies))
                Add(t, StepKind.AdoptParkedManifest, $"move the hand-parked {HandParkedManifest.Path} to {EtcdDr.Restore.Steps.AdoptParkedManifestStep.Target} (etcd stays stopped)",
                    [$"mkdir -p -m 0700 {System.IO.Path.GetDirectoryName(EtcdDr.Restore.Steps.AdoptParkedManifestStep.Target)}", $"mv -T -- {HandParkedManifest.Path} {EtcdDr.Restore.Steps.AdoptParkedManifestStep.Target}"]);
        }

        public void PlacePki()
        {
            if (request.PkiArchive is null)
                return;
            foreach (var t in topology.Where(t => request.Replacements.ContainsKey(t.Host)))
                Add(t, StepKind.PlacePki, $"lay down the PKI archive {Path.GetFileName(request.PkiArchive)} (differing files moved aside, keys 0600; the replacement's own {t.ConfigFile} kept)",
                    [$"for each file in {request.PkiArchive} but {t.ConfigFile}: install -m MODE /dev/stdin PATH (an identical file is left alone, a differing one moved to PATH.dr-{request.Stamp})"]);
        }

        public void StopControlPlane(MasterTopology t)
        {
            var lines = Runtime(t).DescribeControlPlane(stop: true);
            if (lines.Count > 0)
                Add(t, StepKind.StopControlPlane, "stop the API server, controller-manager, scheduler and kubelet", lines, group: "stop-control-plane");
        }

        public void StartControlPlane(MasterTopology t)
        {
            var lines = Runtime(t).DescribeControlPlane(stop: false);
            if (lines.Count > 0)
                Add(t, StepKind.StartControlPlane, "start kubelet and the API server, controller-manager and scheduler again", lines, group: "start-control-plane");
        }

        public void MoveAside(MasterTopology t, string? group)
        {
            var aside = request.AsideFor(t.DataDir);
            Add(t, StepKind.MoveDataAside, $"move the data dir aside (never deleted): {t.DataDir} -> {aside}", [$"mv {t.DataDir} {aside}"], group: group, path: aside);
        }

        public void RestoreSnapshot(MasterTopology t, string initialCluster, string? group)
        {
            var m = MemberOf(t);
            var restore = new SnapshotRestoreRequest(request.StagedSnapshotPath, t.DataDir, m.Name, initialCluster, m.PeerUrl,
                request.EffectiveClusterToken, BumpRevisionFor(t.EtcdVersion));
            Add(t.Host, StepKind.RestoreSnapshot, $"restore the snapshot into {t.DataDir} as member {m.Name}", Runtime(t).DescribeRestore(restore), group: group, restore: restore);
        }

        /// <summary>A replaced master advertises its new address (only where the file still names another).</summary>
        public Dictionary<string, string?> ReplacementUrls(MasterTopology t, Dictionary<string, string?> settings)
        {
            if (!request.Replacements.ContainsKey(t.Host))
                return settings;
            var m = MemberOf(t);
            if (!t.PeerUrls.Contains(m.PeerUrl))
                settings["initial-advertise-peer-urls"] = m.PeerUrl;
            if (!t.ClientUrls.Contains(m.ClientUrl))
                settings["advertise-client-urls"] = m.ClientUrl;
            return settings;
        }

        public void EditConfig(MasterTopology t, IReadOnlyDictionary<string, string?> settings, string? why = null)
        {
            var runtime = Runtime(t);
            var before = _config[t.Host];
            var after = before is null ? null : runtime.EditConfig(before, settings);
            IReadOnlyList<ConfigChange> changes = before is null ? settings.Select(s => new ConfigChange(s.Key, "?", s.Value)).ToList()
                : ConfigDiff.Changes(before, after!, settings.Keys);
            if (changes.Count == 0)
                return; // the file already says so: nothing to change, nothing to name
            _config[t.Host] = after;
            var lines = changes.Select(c => $"{t.ConfigFile}: {c.From ?? "(absent)"}  ->  {c.To ?? "(removed)"}").ToList();
            Add(t.Host, StepKind.EditConfig, $"edit {t.ConfigFile}{(why is null ? "" : ": " + why)}", lines, settings: settings, changes: changes);
        }

        public void WaitHealthy(IReadOnlyList<PlannedMember> expected, string title, bool checkPeerUrls = true) =>
            Add(PlanStep.ClusterHost, StepKind.WaitHealthy, title, [$"etcdctl endpoint status --endpoints={string.Join(",", expected.Select(m => m.ReachUrl))}"],
                expected: expected, checkPeerUrls: checkPeerUrls);

        /// <summary>member add --learner, data dir aside, start with existing, wait until caught up, promote.</summary>
        public void Rejoin(MasterTopology t, List<PlannedMember> joined)
        {
            var m = MemberOf(t);
            Add(PlanStep.ClusterHost, StepKind.MemberAdd, $"member add {m.Name} --learner --peer-urls={m.PeerUrl}",
                [$"etcdctl member add {m.Name} --learner --peer-urls={m.PeerUrl}"], member: m);
            MoveAside(t, group: null);
            var withSelf = joined.Append(m).ToList();
            EditConfig(t, ReplacementUrls(t, new Dictionary<string, string?>
            {
                ["initial-cluster"] = InitialCluster(withSelf),
                ["initial-cluster-state"] = "existing",
            }), "join the existing cluster");
            Add(t, StepKind.StartEtcd, "start etcd with an empty data dir (it syncs from the leader as a learner)", Runtime(t).DescribeEtcd(stop: false));
            Add(PlanStep.ClusterHost, StepKind.PromoteLearner, $"wait until {m.Name} has caught up, then member promote it",
                [$"etcdctl member promote <id of {m.Name}>  (retried until etcd accepts: the learner is in sync)"], member: m, expected: withSelf);
            joined.Add(m);
        }

        public void Verify() =>
            Add(PlanStep.ClusterHost, StepKind.Verify,
                "verify: a leader, member list == inventory, every endpoint healthy" + (request.Snapshot?.Revision is { } rev ? $", revision >= {rev}" : ""),
                [$"etcdctl member list; etcdctl endpoint status --endpoints={string.Join(",", members.Select(m => m.ReachUrl))}"], expected: members);
    }
}
