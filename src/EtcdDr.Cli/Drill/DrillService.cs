using EtcdDr.Drill;
using EtcdDr.Drill.Reports;
using EtcdDr.Etcd;
using EtcdDr.Lab;
using EtcdDr.Remote;
using PkiVault.Age;
using PkiVault.Archive;

namespace EtcdDr.Cli.Drill;

/// <summary>One scenario's outcome and where its report went.</summary>
public sealed record DrillOutcome(DrillReport Report, ReportPaths Paths);

/// <summary>
/// `etcd-dr drill`: for each scenario, a target (a fresh lab, or the inventory's cluster), the run,
/// and its reports, history and metric. A lab is torn down after its scenario unless --keep.
/// </summary>
public sealed class DrillService(TextWriter log, Func<string, string?> prompt, TimeProvider time)
{
    public async Task<IReadOnlyList<DrillOutcome>> RunAsync(DrillOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        var started = time.GetUtcNow();
        var outcomes = new List<DrillOutcome>();
        if (options.Lab is { } lab)
        {
            var root = options.ReportDirectory ?? ReportFiles.DefaultDirectory("lab", started);
            for (var i = 0; i < options.Scenarios.Count; i++)
            {
                var scenario = options.Scenarios[i];
                var dir = options.Scenarios.Count == 1 ? root : Path.Combine(root, $"{scenario.Name}-{lab.Flavor.ToString().ToLowerInvariant()}");
                // --keep keeps the last lab only: every scenario starts from a fresh one on the same
                // net, so an earlier lab must go before the next comes up. Interrupted, the lab of
                // the interrupted scenario is the last one.
                var keep = lab.Keep && (i == options.Scenarios.Count - 1 || ct.IsCancellationRequested);
                outcomes.Add(await RunOnLabAsync(scenario, lab, keep, dir, options, ct).ConfigureAwait(false));
                if (ct.IsCancellationRequested)
                    break;
            }
            return outcomes;
        }

        var inventory = InventoryLoader.Load(options.Inventory ?? throw new DrException("give --lab or -i INVENTORY", FailureKind.Usage), options.ClusterName);
        Confirm(inventory.Cluster, options.YesDestroy);
        var reportRoot = options.ReportDirectory ?? ReportFiles.DefaultDirectory(inventory.Cluster, started);
        foreach (var scenario in options.Scenarios)
        {
            var dir = options.Scenarios.Count == 1 ? reportRoot : Path.Combine(reportRoot, scenario.Name);
            outcomes.Add(await RunOnInventoryAsync(scenario, options.Inventory, inventory, dir, options, ct).ConfigureAwait(false));
            if (ct.IsCancellationRequested)
                break;
        }
        return outcomes;
    }

    /// <summary>A real cluster is only broken when its name was typed back, or named by --yes-destroy.</summary>
    public void Confirm(string cluster, string? yesDestroy)
    {
        if (yesDestroy is not null)
        {
            if (!string.Equals(yesDestroy, cluster, StringComparison.Ordinal))
                throw new DrException($"--yes-destroy {yesDestroy} does not name this inventory's cluster ({cluster}); nothing was touched", FailureKind.Refused);
            return;
        }
        var answer = prompt($"This drill BREAKS cluster '{cluster}' (etcd stopped, data dirs moved aside) and restores it. Type the cluster name to go on: ")
            ?? throw new DrException($"no terminal to confirm on: pass --yes-destroy {cluster} to drill this cluster", FailureKind.Usage);
        if (!string.Equals(answer.Trim(), cluster, StringComparison.Ordinal))
            throw new DrException($"'{answer.Trim()}' is not '{cluster}'; nothing was touched", FailureKind.Refused);
    }

    private async Task<DrillOutcome> RunOnLabAsync(DrillScenario scenario, LabDrillOptions lab, bool keep, string reportDir, DrillOptions options, CancellationToken ct)
    {
        var spec = new LabSpec(Path.GetFullPath(lab.State), lab.Flavor, lab.Masters, lab.Net, lab.SshPort, lab.NoHostEtcdctl);
        await log.WriteLineAsync($"== drill {scenario.Name} on a fresh {lab.Flavor.ToString().ToLowerInvariant()} lab ({lab.Masters} masters, {lab.Net}.x, state {spec.StateDirectory})").ConfigureAwait(false);
        // From lab up to lab down, Ctrl-C waits for the teardown instead of ending the process
        // with the lab's namespaces, sshds and etcds still running (InterruptGrace).
        using var hold = InterruptGrace.Hold();
        var state = await LabController.UpAsync(spec, TimeSpan.FromSeconds(90), log, ct).ConfigureAwait(false);
        try
        {
            var inventory = InventoryLoader.Load(state.Paths.Inventory, null);
            await using var remote = new RemoteCluster(inventory, new SshOptions(false));
            var connection = () => LabConnection(spec.StateDirectory);
            var work = Path.Combine(Path.GetFullPath(reportDir), "artifacts");
            var (identity, recipient) = await IdentityAsync(options.IdentityFile, work, ct).ConfigureAwait(false);
            var env = new DrillEnvironment(
                new DrillContext(DrillRunner.NewRunId(time.GetUtcNow()), inventory.Cluster, lab.Flavor.ToString().ToLowerInvariant(), $"lab ({spec.StateDirectory})", [.. inventory.Masters.Select(m => m.Name)]),
                [.. inventory.Masters.Select(m => m.Name)],
                lab.Flavor == LabFlavor.Kubeadm ? PkiFlavor.Kubeadm : PkiFlavor.Kubespray,
                connection,
                name => remote.Host(name),
                options.StoreUrl ?? StoreIn(work),
                recipient,
                identity,
                work,
                new LabFaultInjector(spec.StateDirectory),
                new CliRestorer(state.Paths.Inventory, Path.Combine(work, "restore-state"), log),
                Versions("lab " + lab.Flavor.ToString().ToLowerInvariant()),
                options.RecoveryTimeout);
            return await RunAndReportAsync(scenario, env, reportDir, options, ct).ConfigureAwait(false);
        }
        finally
        {
            if (keep)
                await log.WriteLineAsync($"lab kept: {LabController.UsageText(state).Split('\n').Last(l => l.Contains("lab down", StringComparison.Ordinal)).Trim()}").ConfigureAwait(false);
            else
                await TearDownAsync(spec, log).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// `lab down`, then wait until nothing of the lab is left: no process carrying its markers and
    /// every port of every master free. The next scenario's lab comes up on the same addresses at
    /// once, and a port still held by a dying process of this one would break it.
    /// </summary>
    private static async Task TearDownAsync(LabSpec spec, TextWriter log)
    {
        await LabController.DownAsync(spec.StateDirectory, log, CancellationToken.None).ConfigureAwait(false);
        await LabController.WaitGoneAsync(spec, TimeSpan.FromSeconds(60), CancellationToken.None).ConfigureAwait(false);
    }

    private async Task<DrillOutcome> RunOnInventoryAsync(DrillScenario scenario, string inventoryPath, Inventory inventory, string reportDir, DrillOptions options, CancellationToken ct)
    {
        await log.WriteLineAsync($"== drill {scenario.Name} on {inventory.Cluster} ({inventoryPath})").ConfigureAwait(false);
        await using var remote = new RemoteCluster(inventory, new SshOptions(options.AcceptNewHostKeys));
        var discovered = await remote.DiscoverAsync(ct).ConfigureAwait(false);
        if (discovered.FirstOrDefault(d => d.Error is not null) is { } broken)
            throw new DrException($"a drill starts from a healthy cluster, and {broken.Master.Name} cannot be read: {broken.Error!.Message}", broken.Error.Kind);
        var connectionOptions = await remote.EtcdConnectionAsync(discovered, options.Tunnel, log, ct).ConfigureAwait(false);
        var runtimes = discovered.ToDictionary(d => d.Master.Name, d => Restore.RestoreCommands.Runtimes(d.Topology!, remote.Host(d.Master.Name)), StringComparer.Ordinal);
        var flavor = discovered[0].Topology!.Flavor == Topology.EtcdFlavor.Kubeadm ? PkiFlavor.Kubeadm : PkiFlavor.Kubespray;
        var work = Path.Combine(Path.GetFullPath(reportDir), "artifacts");
        var (identity, recipient) = await IdentityAsync(options.IdentityFile, work, ct).ConfigureAwait(false);
        var env = new DrillEnvironment(
            new DrillContext(DrillRunner.NewRunId(time.GetUtcNow()), inventory.Cluster, discovered[0].Topology!.Flavor.ToString().ToLowerInvariant(), inventoryPath, [.. inventory.Masters.Select(m => m.Name)]),
            [.. inventory.Masters.Select(m => m.Name)],
            flavor,
            () => connectionOptions,
            name => remote.Host(name),
            options.StoreUrl ?? StoreIn(work),
            recipient,
            identity,
            work,
            new SshFaultInjector(runtimes, options.Replacements, time),
            new CliRestorer(Path.GetFullPath(inventoryPath), Path.Combine(work, "restore-state"), log),
            Versions(discovered[0].Topology!.Flavor.ToString().ToLowerInvariant()),
            options.RecoveryTimeout);
        return await RunAndReportAsync(scenario, env, reportDir, options, ct).ConfigureAwait(false);
    }

    private async Task<DrillOutcome> RunAndReportAsync(DrillScenario scenario, DrillEnvironment env, string reportDir, DrillOptions options, CancellationToken ct)
    {
        var report = await new DrillRunner(env, log, time).RunAsync(scenario, ct).ConfigureAwait(false);
        // An interrupted drill still gets its report (written whatever the token says), but it is
        // neither history nor a metric: it says nothing about the backups.
        if (report.Interrupted)
            report = report with { Notes = [.. report.Notes, "interrupted: not added to the history, no metric written"] };
        if (options.HistoryDirectory is { } history && !report.Interrupted)
        {
            await DrillHistory.AppendAsync(history, report, ct).ConfigureAwait(false);
            var (entries, unreadable) = await DrillHistory.ReadAsync(history, report.Cluster, ct).ConfigureAwait(false);
            report = report with { History = entries, Notes = [.. report.Notes, .. unreadable.Select(u => $"history file skipped: {u}")] };
        }
        var paths = await ReportFiles.WriteAsync(reportDir, report, CancellationToken.None).ConfigureAwait(false);
        if (options.MetricsTextfile is { } metrics && !report.Interrupted)
            await DrillMetrics.WriteAsync(metrics, report, time.GetUtcNow(), ct).ConfigureAwait(false);
        return new DrillOutcome(report, paths);
    }

    /// <summary>The default store: a file:// store beside the report, as an operator's backup folder would be.</summary>
    private static string StoreIn(string work)
    {
        var dir = Path.Combine(work, "store");
        Directory.CreateDirectory(dir);
        return new Uri(dir).AbsoluteUri;
    }

    private static EtcdConnectionOptions LabConnection(string state)
    {
        var lab = LabState.Load(state);
        return new EtcdConnectionOptions(
            [.. lab.Spec.Masters.Select(m => new Uri(m.ClientUrl))],
            EtcdTls.FromFiles(lab.Paths.ClientCa, lab.Paths.ClientCert, lab.Paths.ClientCertKey),
            DialTimeout: TimeSpan.FromSeconds(1),
            CallTimeout: TimeSpan.FromSeconds(2));
    }

    private static Dictionary<string, string> Versions(string target) => new(StringComparer.Ordinal)
    {
        ["target"] = target,
        [".NET"] = Environment.Version.ToString(),
        ["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
    };

    /// <summary>The given identity and its recipient, or a new identity kept beside the report (0600).</summary>
    private static async Task<(string Identity, string Recipient)> IdentityAsync(string? given, string work, CancellationToken ct)
    {
        Directory.CreateDirectory(work);
        if (given is not null)
        {
            var text = await File.ReadAllTextAsync(given, ct).ConfigureAwait(false);
            var line = text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("AGE-SECRET-KEY-", StringComparison.Ordinal))
                ?? throw new DrException($"{given}: no AGE-SECRET-KEY line; give an X25519 identity (etcd-dr key generate)", FailureKind.Usage);
            return (Path.GetFullPath(given), X25519Identity.Parse(line).Recipient.ToString());
        }
        var identity = X25519Identity.Generate();
        var path = Path.Combine(work, "drill-identity.txt");
        // Created 0600: the key never exists with wider permissions, not even for a moment.
        var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite });
        await using (stream.ConfigureAwait(false))
        {
            await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes($"# etcd-dr drill identity: opens this drill's snapshot and PKI archives\n# public key: {identity.Recipient}\n{identity}\n"), ct).ConfigureAwait(false);
        }
        return (path, identity.Recipient.ToString());
    }
}
