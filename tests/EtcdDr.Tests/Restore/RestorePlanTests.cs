using EtcdDr.Restore;
using EtcdDr.Topology;

namespace EtcdDr.Tests.Restore;

/// <summary>Plans for each strategy x flavor as golden transcripts: the plan as the operator reads it, then the
/// recorded actions of running it on the fake masters, which must end healthy.</summary>
public class RestorePlanTests
{
    public static TheoryData<RestoreStrategy, EtcdFlavor> Cases()
    {
        var data = new TheoryData<RestoreStrategy, EtcdFlavor>();
        foreach (var s in Enum.GetValues<RestoreStrategy>())
            foreach (var f in new[] { EtcdFlavor.Kubeadm, EtcdFlavor.Kubespray })
                data.Add(s, f);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Plan_and_run_transcript_match_the_golden_file(RestoreStrategy strategy, EtcdFlavor flavor)
    {
        using var dir = new TempDir();
        var world = RestoreHarness.WorldFor(strategy, flavor, flavor == EtcdFlavor.Kubeadm ? "3.5.12" : "3.4.23");
        var snapshot = strategy is RestoreStrategy.SnapshotAll or RestoreStrategy.ForceNewCluster ? RestoreHarness.Snapshot(dir) : null;
        var member = strategy switch { RestoreStrategy.FromMember => "master-1", RestoreStrategy.RepairMember => "master-2", _ => null };
        var plan = RestorePlanner.Plan(RestoreHarness.Request(strategy, snapshot, member), world.Topologies, world.Runtimes);
        Assert.Empty(world.Transcript); // planning decides, it does nothing

        var preflight = await RestorePreflight.CheckAsync(plan, world.Runtimes, world.Cluster, default);
        Assert.All(preflight, c => Assert.True(c.Ok, $"{c.Host} {c.Name}: {c.Detail}"));
        Assert.Empty(world.Transcript); // preflight only reads

        var journal = RestoreJournal.Create(dir.File("restore.journal"), plan, TimeProvider.System);
        await new RestoreRunner(RestoreHarness.Context(plan, world, sequential: true), journal).RunAsync(0, default);

        var state = RestoreJournal.Read(journal.Path);
        Assert.True(state.IsFinished);
        Assert.All(world.Members, m => Assert.False(m.IsLearner));
        Assert.Equal(["master-1", "master-2", "master-3"], world.Members.Select(m => m.Name).Order());
        Assert.Equal(world.Topologies.Select(t => t.PeerUrls[0]).Order(), world.Members.Select(m => m.PeerUrls.Single()).Order());
        Assert.All(world.Masters.Values, m => Assert.True(m.Running && m.ControlPlaneRunning));
        // force-new-cluster is set for one start only: left in, the next restart would throw the members away again.
        Assert.All(world.Masters.Values, m => Assert.DoesNotContain("force-new-cluster", m.Config.Replace('_', '-'), StringComparison.OrdinalIgnoreCase));

        var text = RestoreHarness.PlanText(plan) + "\n--- transcript ---\n" + string.Join("\n", world.Transcript) + "\n";
        RestoreHarness.AssertGolden($"{RestoreRenderingName(strategy)}-{flavor.ToString().ToLowerInvariant()}", text.Replace(dir.Path, "/tmp/x", StringComparison.Ordinal));
    }

    /// <summary>An inventory etcdClientUrl (NAT, load balancer) is where the restore's health checks go, for every strategy:
    /// the advertised URL may not be reachable from the operator's machine at all.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Health_checks_use_the_inventorys_etcd_client_url(RestoreStrategy strategy, EtcdFlavor flavor)
    {
        using var dir = new TempDir();
        var world = RestoreHarness.WorldFor(strategy, flavor, "3.5.12");
        var urls = new Dictionary<string, string>();
        foreach (var (host, master) in world.Masters)
            urls[host] = master.EndpointUrl = $"https://nat-{host}.example:32379";
        var snapshot = strategy is RestoreStrategy.SnapshotAll or RestoreStrategy.ForceNewCluster ? RestoreHarness.Snapshot(dir) : null;
        var member = strategy switch { RestoreStrategy.FromMember => "master-1", RestoreStrategy.RepairMember => "master-2", _ => null };
        var plan = RestorePlanner.Plan(RestoreHarness.Request(strategy, snapshot, member), world.Topologies, world.Runtimes, urls);

        Assert.All(plan.Members, m => Assert.Equal(urls[m.Host], m.ReachUrl));
        Assert.All(plan.Members, m => Assert.Equal(world.Masters[m.Host].Topology.ClientUrls[0], m.ClientUrl)); // configs keep the advertised URL
        var preflight = await RestorePreflight.CheckAsync(plan, world.Runtimes, world.Cluster, default);
        Assert.All(preflight, c => Assert.True(c.Ok, $"{c.Host} {c.Name}: {c.Detail}"));
        var journal = RestoreJournal.Create(dir.File("restore.journal"), plan, TimeProvider.System);
        await new RestoreRunner(RestoreHarness.Context(plan, world, sequential: true), journal).RunAsync(0, default);

        Assert.True(RestoreJournal.Read(journal.Path).IsFinished);
        Assert.NotEmpty(world.Cluster.HealthAsked);
        Assert.All(world.Cluster.HealthAsked, url => Assert.Contains(url, urls.Values));
        // The journal keeps where to reach each member, so a resume checks the same URLs.
        Assert.All(RestoreJournal.Read(journal.Path).Plan.Members, m => Assert.Equal(urls[m.Host], m.EndpointUrl));
    }

    private static string RestoreRenderingName(RestoreStrategy s) => EtcdDr.Cli.Restore.RestoreRendering.Kebab(s);

    [Fact]
    public void Snapshot_all_restores_every_member_with_its_own_name_one_initial_cluster_and_a_new_token()
    {
        using var dir = new TempDir();
        var world = RestoreHarness.WorldFor(RestoreStrategy.SnapshotAll, EtcdFlavor.Kubespray);
        var plan = RestorePlanner.Plan(RestoreHarness.Request(RestoreStrategy.SnapshotAll, RestoreHarness.Snapshot(dir)), world.Topologies, world.Runtimes);
        var restores = plan.Steps.Where(s => s.Kind == StepKind.RestoreSnapshot).Select(s => s.Restore!).ToList();
        Assert.Equal(["master-1", "master-2", "master-3"], restores.Select(r => r.MemberName));
        Assert.Single(restores.Select(r => r.InitialCluster).Distinct());
        Assert.All(restores, r => Assert.Equal($"etcd-dr-{RestoreHarness.Stamp}", r.InitialClusterToken));
        Assert.All(restores, r => Assert.NotEqual("k8s_etcd", r.InitialClusterToken));
        // Started together: one group, after every restore.
        var starts = plan.Steps.Where(s => s.Kind == StepKind.StartEtcd).ToList();
        Assert.Single(starts.Select(s => s.Group).Distinct());
        Assert.True(starts.Min(s => s.Index) > plan.Steps.Where(s => s.Kind == StepKind.RestoreSnapshot).Max(s => s.Index));
    }

    [Theory]
    [InlineData("3.4.23", 0L)]
    [InlineData("3.5.9", 0L)]
    [InlineData("3.5.10", RestorePlanner.BumpRevisionBy)]
    [InlineData("3.5.21", RestorePlanner.BumpRevisionBy)]
    [InlineData("3.6.0", RestorePlanner.BumpRevisionBy)]
    [InlineData(null, 0L)]
    public void Bump_revision_only_from_3_5_10(string? version, long expected) => Assert.Equal(expected, RestorePlanner.BumpRevisionFor(version));

    /// <summary>The preflight asks the runtime that will run the restore: the old check said yes to a 3.5 master with
    /// only etcdctl, and the Kubespray runtime (which restores 3.5 with etcdutl and has no in-image path) then refused
    /// at plan time; an unknown version or a vanished binary is said before any change too.</summary>
    [Theory]
    [InlineData(EtcdFlavor.Kubespray, "3.4.23", "host", "none", true, true)]
    [InlineData(EtcdFlavor.Kubespray, "3.5.12", "none", "host", true, true)]
    [InlineData(EtcdFlavor.Kubespray, "3.5.12", "host", "none", true, false)]
    [InlineData(EtcdFlavor.Kubespray, "3.6.1", "host", "none", true, false)] // 3.6 has no etcdctl snapshot restore
    [InlineData(EtcdFlavor.Kubespray, "3.6.1", "none", "host", true, true)]
    [InlineData(EtcdFlavor.Kubespray, "3.4.23", "none", "none", true, false)]
    [InlineData(EtcdFlavor.Kubespray, "3.4.23", "host", "none", false, false)] // discovery saw it, it is gone now
    [InlineData(EtcdFlavor.Kubespray, "", "host", "host", true, false)] // version unknown: no tool can be chosen
    [InlineData(EtcdFlavor.Kubeadm, "3.5.12", "none", "none", true, true)] // the etcd image's etcdutl, as a static pod
    public async Task Restore_tool_check_asks_the_runtime_that_will_restore(EtcdFlavor flavor, string version, string etcdctl, string etcdutl, bool binariesThere, bool fits)
    {
        var t = FakeRestoreWorld.Topology(flavor, 1, version.Length == 0 ? "3.4.23" : version) with
        {
            EtcdVersion = version.Length == 0 ? null : version,
            Etcdctl = etcdctl == "host" ? new EtcdTool("host", "/usr/local/bin/etcdctl") : EtcdTool.None,
            Etcdutl = etcdutl == "host" ? new EtcdTool("host", "/usr/local/bin/etcdutl") : EtcdTool.None,
        };
        var host = new EtcdDr.Testing.FakeRemoteHost("master-1");
        foreach (var tool in new[] { "etcdctl", "etcdutl" })
            host.Answers[$"test -x /usr/local/bin/{tool}"] = new EtcdDr.Remote.ProcessResult(binariesThere ? 0 : 1, "", "");
        IEtcdRuntime runtime = flavor == EtcdFlavor.Kubeadm ? new EtcdDr.Topology.Runtimes.KubeadmRuntime(t, host) : new EtcdDr.Topology.Runtimes.KubesprayHostRuntime(t, host);

        var check = await RestorePreflight.ToolAsync(runtime, CancellationToken.None);

        Assert.True(fits == check.Ok, check.Detail);
        Assert.Equal("master-1", check.Host);
    }

    [Fact]
    public void Replace_moves_peer_and_client_urls_and_the_initial_cluster_to_the_new_address()
    {
        using var dir = new TempDir();
        var world = RestoreHarness.WorldFor(RestoreStrategy.SnapshotAll, EtcdFlavor.Kubespray);
        var plan = RestorePlanner.Plan(RestoreHarness.Request(RestoreStrategy.SnapshotAll, RestoreHarness.Snapshot(dir),
            replace: new Dictionary<string, string> { ["master-2"] = "10.0.0.22" }), world.Topologies, world.Runtimes);
        var m2 = plan.Members.Single(m => m.Host == "master-2");
        Assert.Equal("https://10.0.0.22:2380", m2.PeerUrl);
        Assert.Equal("https://10.0.0.22:2379", m2.ClientUrl);
        Assert.All(plan.Steps.Where(s => s.Kind == StepKind.RestoreSnapshot), s => Assert.Contains("master-2=https://10.0.0.22:2380", s.Restore!.InitialCluster));
        var edit = plan.Steps.Single(s => s.Kind == StepKind.EditConfig && s.Host == "master-2");
        Assert.Equal("https://10.0.0.22:2380", edit.Settings!["initial-advertise-peer-urls"]);
    }

    [Fact]
    public void Replace_of_an_unknown_master_is_a_usage_error()
    {
        using var dir = new TempDir();
        var world = RestoreHarness.WorldFor(RestoreStrategy.SnapshotAll, EtcdFlavor.Kubespray);
        var ex = Assert.Throws<DrException>(() => RestorePlanner.Plan(RestoreHarness.Request(RestoreStrategy.SnapshotAll, RestoreHarness.Snapshot(dir),
            replace: new Dictionary<string, string> { ["master-9"] = "10.0.0.99" }), world.Topologies, world.Runtimes));
        Assert.Equal(FailureKind.Usage, ex.Kind);
    }

    [Fact]
    public void Config_diff_names_each_setting_from_what_to_what_and_nothing_else()
    {
        var before = "# c\nETCD_NAME=a\nETCD_INITIAL_CLUSTER_STATE=new\nETCD_X=1\n";
        var after = "# c\nETCD_NAME=a\nETCD_INITIAL_CLUSTER_STATE=existing\nETCD_X=1\nETCD_FORCE_NEW_CLUSTER=true\n";
        var changes = ConfigDiff.Changes(before, after, ["initial-cluster-state", "force-new-cluster"]);
        Assert.Equal([new ConfigChange("initial-cluster-state", "ETCD_INITIAL_CLUSTER_STATE=new", "ETCD_INITIAL_CLUSTER_STATE=existing"),
            new ConfigChange("force-new-cluster", null, "ETCD_FORCE_NEW_CLUSTER=true")], changes);
    }

    [Fact]
    public async Task A_manifest_parked_by_hand_is_moved_to_the_runtimes_parking_place_first()
    {
        using var dir = new TempDir();
        var world = RestoreHarness.WorldFor(RestoreStrategy.SnapshotAll, EtcdFlavor.Kubeadm);
        var m2 = world.Masters["master-2"];
        var parked = m2.Topology with { Notes = [HandParkedManifest.Note] };
        var topology = world.Topologies.Select(t => t.Host == "master-2" ? parked : t).ToList();
        m2.Paths[HandParkedManifest.Path] = "manifest";
        var plan = RestorePlanner.Plan(RestoreHarness.Request(RestoreStrategy.SnapshotAll, RestoreHarness.Snapshot(dir)), topology, world.Runtimes);
        var adopt = plan.Steps.Single(s => s.Kind == StepKind.AdoptParkedManifest);
        Assert.Equal("master-2", adopt.Host);
        Assert.True(adopt.Index < plan.Steps.First(s => s.Kind == StepKind.StopEtcd).Index);
        await new RestoreRunner(RestoreHarness.Context(plan, world, sequential: true), RestoreJournal.Create(dir.File("j"), plan, TimeProvider.System)).RunAsync(0, default);
        Assert.False(m2.Exists(HandParkedManifest.Path));
        Assert.True(m2.Exists(EtcdDr.Restore.Steps.AdoptParkedManifestStep.Target));
    }
}
