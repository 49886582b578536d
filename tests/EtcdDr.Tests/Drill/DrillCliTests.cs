using EtcdDr.Cli;
using EtcdDr.Cli.Drill;
using EtcdDr.Drill;
using EtcdDr.Remote;
using EtcdDr.Topology;

namespace EtcdDr.Tests.Drill;

public sealed class DrillCliTests
{
    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(CliEnvironment env, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await EtcdDrCli.RunAsync(EtcdDrCli.Build(stdout, stderr, env), args, new System.CommandLine.InvocationConfiguration { Output = stdout, Error = stderr });
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private static CliEnvironment Env(string? answer) => new(() => Stream.Null, () => Stream.Null, _ => null, _ => null) { PromptLine = _ => answer };

    private static string Inventory(TempDir dir)
    {
        // Addresses nothing listens on: a test that got past the confirmation would fail to connect, not drill.
        var path = dir.File("etcd-dr.yaml");
        File.WriteAllText(path, "cluster: staging\nmasters:\n  - name: cp-1\n    address: 127.77.0.1\n");
        return path;
    }

    [Fact]
    public async Task Drill_needs_exactly_one_of_lab_and_inventory()
    {
        Assert.Equal(2, (await RunAsync(Env(null), "drill")).Exit);
        using var dir = new TempDir();
        var (exit, _, stderr) = await RunAsync(Env(null), "drill", "--lab", "-i", Inventory(dir));
        Assert.Equal(2, exit);
        Assert.Contains("either --lab or -i", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_real_cluster_needs_a_named_scenario()
    {
        using var dir = new TempDir();
        var (exit, _, stderr) = await RunAsync(Env("staging"), "drill", "-i", Inventory(dir));
        Assert.Equal(2, exit);
        Assert.Contains("--scenario", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null, 2, "pass --yes-destroy staging")]
    [InlineData("prod", null, 5, "does not name this inventory's cluster (staging)")]
    [InlineData(null, "stagin", 5, "'stagin' is not 'staging'; nothing was touched")]
    public async Task A_real_cluster_is_not_touched_unless_its_name_is_confirmed(string? yesDestroy, string? typed, int expectedExit, string expectedMessage)
    {
        using var dir = new TempDir();
        var report = dir.File("report");
        string[] args = ["drill", "-i", Inventory(dir), "--scenario", "wipe-all", "--report", report, .. yesDestroy is null ? Array.Empty<string>() : ["--yes-destroy", yesDestroy]];
        var (exit, _, stderr) = await RunAsync(Env(typed), args);
        Assert.Equal(expectedExit, exit);
        Assert.Contains(expectedMessage, stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(report), "a refused drill wrote a report folder");
    }

    [Fact]
    public async Task The_typed_name_lets_the_drill_go_on_to_the_masters()
    {
        using var dir = new TempDir();
        // Confirmed: it proceeds to SSH discovery, which fails on the unused address (exit 4), not on the confirmation.
        var (exit, _, stderr) = await RunAsync(Env("staging"), "drill", "-i", Inventory(dir), "--scenario", "corrupt-member", "--report", dir.File("r"));
        Assert.DoesNotContain("nothing was touched", stderr, StringComparison.Ordinal);
        Assert.Contains("cp-1", stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, exit);
    }

    [Fact]
    public void Restore_arguments_are_the_runbook_commands()
    {
        var restorer = new CliRestorer("/inv.yaml", "/state", TextWriter.Null);
        var none = new Dictionary<string, string>();
        Assert.Equal("restore run -i /inv.yaml --state-dir /state --output json --yes --from-member master-3 --identity /k",
            string.Join(' ', restorer.Arguments(new DrillRestoreRequest("from-member", "lab", null, null, "master-3", none, null, "/k"))));
        Assert.Equal("restore run -i /inv.yaml --state-dir /state --output json --yes --snapshot /s.db.age --strategy force-new-cluster --identity /k",
            string.Join(' ', restorer.Arguments(new DrillRestoreRequest("force-new-cluster", "lab", "/s.db.age", null, null, none, null, "/k"))));
        Assert.Equal("restore run -i /inv.yaml --state-dir /state --output json --yes --from file:///store latest --strategy snapshot-all --identity /k",
            string.Join(' ', restorer.Arguments(new DrillRestoreRequest("snapshot-all", "lab", null, "file:///store", null, none, null, "/k"))));
        Assert.Equal("restore member master-2 -i /inv.yaml --state-dir /state --output json --yes --replace master-2=127.0.110.4 --pki /pki-master-2.tar.age --identity /k",
            string.Join(' ', restorer.Arguments(new DrillRestoreRequest("member", "lab", null, null, "master-2", new Dictionary<string, string> { ["master-2"] = "127.0.110.4" }, "/pki-master-2.tar.age", "/k"))));
    }
}

public sealed class SshFaultInjectorTests
{
    private sealed class RecordingRuntime(string host, string dataDir) : IEtcdRuntime
    {
        public List<string> Calls { get; } = [];
        public MasterTopology Topology { get; } = new(host, EtcdFlavor.Kubeadm, "/etc/kubernetes/manifests/etcd.yaml", host, dataDir, [], [], null, null, new EtcdCertPaths(), "3.4.23", null, EtcdTool.None, EtcdTool.None, true, "active", []);
        public IRemoteHost Host => throw new NotSupportedException();
        public string? DataDirOwner => null;
        public Task StopControlPlaneAsync(CancellationToken ct) { Calls.Add("stop-control-plane"); return Task.CompletedTask; }
        public Task StartControlPlaneAsync(CancellationToken ct) => throw new InvalidOperationException("a fault never starts anything");
        public IReadOnlyList<string> DescribeControlPlane(bool stop) => [];
        public Task StopEtcdAsync(CancellationToken ct) { Calls.Add("stop-etcd"); return Task.CompletedTask; }
        public Task StartEtcdAsync(CancellationToken ct) => throw new InvalidOperationException("a fault never starts anything");
        public Task<bool> IsEtcdRunningAsync(CancellationToken ct) => Task.FromResult(true);
        public IReadOnlyList<string> DescribeEtcd(bool stop) => [];
        public string EditConfig(string text, IReadOnlyDictionary<string, string?> settings) => throw new InvalidOperationException("a fault edits no config");
        public Task<string> ReadConfigAsync(CancellationToken ct) => throw new InvalidOperationException();
        public Task WriteConfigAsync(string text, CancellationToken ct) => throw new InvalidOperationException("a fault edits no config");
        public Task MoveDataDirAsideAsync(string aside, CancellationToken ct) { Calls.Add("aside " + aside); return Task.CompletedTask; }
        public Task RestoreSnapshotAsync(SnapshotRestoreRequest request, CancellationToken ct) => throw new InvalidOperationException();
        public IReadOnlyList<string> DescribeRestore(SnapshotRestoreRequest request) => [];
    }

    [Fact]
    public async Task Faults_stop_etcd_and_move_data_aside_never_anything_else()
    {
        var a = new RecordingRuntime("cp-1", "/var/lib/etcd");
        var b = new RecordingRuntime("cp-2", "/var/lib/etcd/");
        var clock = new Testing.FakeClock(new DateTimeOffset(2026, 12, 6, 3, 4, 5, TimeSpan.Zero));
        var injector = new SshFaultInjector(new Dictionary<string, IEtcdRuntime> { ["cp-1"] = a, ["cp-2"] = b }, new Dictionary<string, string>(), clock);

        var wiped = await injector.BreakAsync(new DrillFault(DrillFaultKind.WipeData, ["cp-1", "cp-2"]), CancellationToken.None);
        Assert.Equal(["stop-etcd", "aside /var/lib/etcd.drill-20261206T030405Z"], a.Calls);
        Assert.Equal(["stop-etcd", "aside /var/lib/etcd.drill-20261206T030405Z"], b.Calls);
        Assert.Equal([new MovedDataDir("cp-1", "/var/lib/etcd", "/var/lib/etcd.drill-20261206T030405Z", "drill fault"), new MovedDataDir("cp-2", "/var/lib/etcd/", "/var/lib/etcd.drill-20261206T030405Z", "drill fault")], wiped.MovedAside);

        a.Calls.Clear();
        await injector.BreakAsync(new DrillFault(DrillFaultKind.StopEtcd, ["cp-1"]), CancellationToken.None);
        Assert.Equal(["stop-etcd"], a.Calls);
        a.Calls.Clear();
        await injector.BreakAsync(new DrillFault(DrillFaultKind.LoseHost, ["cp-1"]), CancellationToken.None);
        Assert.Equal(["stop-control-plane", "stop-etcd", "aside /var/lib/etcd.drill-20261206T030405Z"], a.Calls);
    }

    [Fact]
    public async Task Lose_master_on_a_real_cluster_needs_a_named_spare()
    {
        var injector = new SshFaultInjector(new Dictionary<string, IEtcdRuntime>(), new Dictionary<string, string> { ["cp-2"] = "10.0.0.22" }, TimeProvider.System);
        Assert.Equal("10.0.0.22", await injector.ProvisionReplacementAsync("cp-2", CancellationToken.None));
        var ex = await Assert.ThrowsAsync<DrException>(() => injector.ProvisionReplacementAsync("cp-1", CancellationToken.None));
        Assert.Contains("--replacement cp-1=ADDRESS", ex.Message, StringComparison.Ordinal);
    }
}
