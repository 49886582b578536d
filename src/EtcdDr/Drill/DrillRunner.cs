using System.Globalization;
using EtcdDr.Etcd;
using EtcdDr.Pki;
using EtcdDr.Remote;
using EtcdDr.Snapshots;
using EtcdDr.Storage;

namespace EtcdDr.Drill;

/// <summary>
/// Runs one scenario end to end: canaries, a snapshot and PKI backups taken the way the schedule
/// takes them, the fault, the restore, and the verification, every step on the timeline. It never
/// throws for a failed drill: the report says which check failed, and an interrupted one (its token
/// cancelled) says so in the same way.
/// </summary>
public sealed class DrillRunner(DrillEnvironment env, TextWriter log, TimeProvider time)
{
    private readonly DrillTimeline _timeline = new(time);

    public async Task<DrillReport> RunAsync(DrillScenario scenario, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var started = time.GetUtcNow();
        var prefix = $"/etcd-dr/drill/{env.Context.RunId}/{scenario.Name}/";
        var canaryPrefix = prefix + "canary/";
        using var cluster = new EtcdCanaryCluster(env.Connection, env.Masters.Count);
        var writer = new CanaryWriter(cluster, canaryPrefix, time);
        var record = new DrillRunRecord { StartedAt = started };
        var moved = new List<MovedDataDir>();
        var notes = new List<string>();
        var versions = new Dictionary<string, string>(env.ToolVersions, StringComparer.Ordinal) { ["etcd-dr"] = ToolVersion.Current };
        DrillSnapshot? snapshot = null;
        var pki = new List<string>();
        DateTimeOffset? outage = null;
        ProbeResult? probe = null;
        CanaryFigures? canaries = null;
        long ackedBeforeSnapshot = 0;
        string? error = null;
        var interrupted = false;
        using var probeStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task<ProbeResult>? probeTask = null;
        try
        {
            await Say($"drill {scenario.Name} on {env.Context.Cluster} ({env.Context.Flavor}): {scenario.Summary}").ConfigureAwait(false);
            await _timeline.StepAsync(DrillStep.ClusterLane, "prepare", "cluster healthy before the drill", async c =>
            {
                var health = await cluster.HealthAsync(c).ConfigureAwait(false);
                if (!health.Whole)
                    throw new DrException($"the cluster is not healthy before the drill ({health.Healthy} of {health.Expected} members: {health.Detail}); a drill starts from a healthy cluster", FailureKind.Refused);
                versions["etcd"] = await EtcdVersionsAsync(c).ConfigureAwait(false);
                return $"{health.Healthy} of {health.Expected} members healthy";
            }, ct).ConfigureAwait(false);

            // PKI first and on every master at once: it takes a while over SSH, and canaries
            // written during it would only stretch the drill, not tell anything.
            pki.AddRange(await Task.WhenAll(env.Masters.Select(master => _timeline.StepAsync(master, "prepare", "PKI backup (as pki backup --to)", async c =>
            {
                var a = await BackupPkiAsync(master, c).ConfigureAwait(false);
                return (a, a);
            }, ct))).ConfigureAwait(false));

            await _timeline.StepAsync(DrillStep.ClusterLane, "prepare", "canary writer started", async c =>
            {
                var first = await writer.WriteOneAsync(c).ConfigureAwait(false);
                if (!first.Acked)
                    throw new DrException($"the first canary could not be written: {first.Error}", FailureKind.Unreachable);
                writer.Start();
                await Task.Delay(env.CanaryLead, time, c).ConfigureAwait(false);
                return $"a key under {canaryPrefix} every {CanaryWriter.Interval.TotalMilliseconds:0} ms";
            }, ct).ConfigureAwait(false);

            ackedBeforeSnapshot = writer.LastAcked;
            snapshot = await _timeline.StepAsync(DrillStep.ClusterLane, "prepare", "snapshot saved (as the schedule saves it)", async c =>
            {
                var s = await SaveSnapshotAsync(c).ConfigureAwait(false);
                return (s, $"revision {s.Revision}, {s.FileSize} bytes, encrypted, to {s.Location}");
            }, ct).ConfigureAwait(false);
            await Say($"  snapshot: revision {snapshot.Revision}, {snapshot.FileSize} bytes -> {snapshot.Location}").ConfigureAwait(false);

            // Canaries after the snapshot: the writes a snapshot restore loses by design (the RPO).
            await Task.Delay(env.CanaryLead, time, ct).ConfigureAwait(false);

            var fault = FaultFor(scenario);
            if (!scenario.ClientsKeepWriting)
                await writer.StopAsync().ConfigureAwait(false);
            outage = time.GetUtcNow();
            var faultResult = await _timeline.StepAsync(DrillStep.ClusterLane, "fault", $"{Describe(fault.Kind)} on {string.Join(", ", fault.Hosts)}", async c =>
            {
                var r = await env.Faults.BreakAsync(fault, c).ConfigureAwait(false);
                return (r, string.Join("; ", r.Lines));
            }, ct).ConfigureAwait(false);
            moved.AddRange(faultResult.MovedAside);
            await Say($"  outage at {outage:HH:mm:ss.fff}: {string.Join("; ", faultResult.Lines)}").ConfigureAwait(false);

            // From here the probe asks every 100 ms whether clients can use the cluster again.
            var readKey = CanaryWriter.KeyFor(canaryPrefix, 1);
            var recoveryProbe = new RecoveryProbe(cluster, readKey, prefix + "probe/", time);
            probeTask = Task.Run(() => recoveryProbe.RunAsync(probeStop.Token), CancellationToken.None);

            var replacements = new Dictionary<string, string>(StringComparer.Ordinal);
            if (scenario.Kind == DrillScenarioKind.LoseMaster)
            {
                var lost = fault.Hosts[0];
                var address = await _timeline.StepAsync(DrillStep.ClusterLane, "restore", $"replacement for {lost} provisioned", async c =>
                {
                    var a = await env.Faults.ProvisionReplacementAsync(lost, c).ConfigureAwait(false);
                    return (a, $"{lost} on the new address {a}");
                }, ct).ConfigureAwait(false);
                replacements[lost] = address;
                // From now on the probe and the writer talk to the new address: the inventory names it.
                cluster.Reconnect();
            }

            var request = RestoreRequestFor(scenario, fault, snapshot, pki, replacements);
            var restored = await _timeline.StepAsync(DrillStep.ClusterLane, "restore", RestoreStepName(request), async c =>
            {
                var r = await env.Restorer.RestoreAsync(request, c).ConfigureAwait(false);
                return (r, r.Summary);
            }, ct).ConfigureAwait(false);
            foreach (var step in restored.HostSteps)
                _timeline.Add(step);
            moved.AddRange(restored.MovedAside);

            var restoreEnd = time.GetUtcNow();
            probe = await WaitForProbeAsync(probeTask, probeStop, ct).ConfigureAwait(false);
            if (probe.RecoveredAt is { } recoveredAt && recoveredAt > restoreEnd)
                _timeline.Add(new DrillStep(DrillStep.ClusterLane, "verify", "cluster serving again (probe)", restoreEnd, recoveredAt,
                    $"every member healthy, canary read and write after {probe.Probes} probes"));
            await Say(probe.RecoveredAt is { } rec
                ? $"  recovered at {rec:HH:mm:ss.fff}: RTO {(rec - outage.Value).TotalSeconds:0.00} s"
                : $"  the cluster did not recover within {env.RecoveryTimeout.TotalSeconds:0} s: {probe.LastProblem}").ConfigureAwait(false);

            var ledger = await writer.StopAsync().ConfigureAwait(false);
            canaries = await _timeline.StepAsync(DrillStep.ClusterLane, "verify", "canaries read back", async c =>
            {
                var back = await cluster.GetPrefixAsync(canaryPrefix, c).ConfigureAwait(false);
                var sequences = back.Select(kv => CanaryWriter.SequenceOf(canaryPrefix, kv.Key)).OfType<long>().ToHashSet();
                var figures = DrillAnalysis.Canaries(ledger, sequences, ackedBeforeSnapshot);
                return (figures, $"{figures.Acked - figures.LostAcked} of {figures.Acked} acknowledged canaries back, newest #{figures.NewestRecoveredSequence} of #{figures.NewestWrittenSequence}");
            }, ct).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Ctrl-C (or SIGTERM) is a reason like any other: the report is still written, says
            // where the drill was, and the caller tears the target down.
            // Whatever a cancelled step threw (the in-process restore exits 130 and reports that as
            // an error), the reason is the interruption.
            interrupted = ct.IsCancellationRequested;
            error = interrupted ? Interrupted(outage is not null)
                : ex is DrException ? ex.Message : $"unexpected {ex.GetType().Name}: {ex.Message}";
            await Say($"  drill stopped: {error}").ConfigureAwait(false);
            await probeStop.CancelAsync().ConfigureAwait(false);
            if (probeTask is not null)
                probe = await ProbeOutcomeAsync(probeTask).ConfigureAwait(false);
            var ledger = await writer.StopAsync().ConfigureAwait(false);
            if (canaries is null && ledger.Count > 0)
                notes.Add($"{ledger.Count} canaries were written before the drill stopped; they could not be read back");
        }
        finally
        {
            await probeStop.CancelAsync().ConfigureAwait(false);
            await writer.DisposeAsync().ConfigureAwait(false);
        }

        record = record with
        {
            OutageAt = outage,
            Probe = probe,
            Canaries = canaries,
            Snapshot = snapshot,
            PkiArchives = pki,
            Steps = _timeline.Steps,
            MovedAside = moved,
            ToolVersions = versions,
            Notes = notes,
            Error = error,
            Interrupted = interrupted,
        };
        return DrillAnalysis.Report(scenario, record, env.Context, time.GetUtcNow());
    }

    /// <summary>The start of the "drill ran to the end" detail of an interrupted drill.</summary>
    public const string InterruptedText = "interrupted (Ctrl-C or SIGTERM)";

    private string Interrupted(bool afterOutage)
    {
        var running = _timeline.Steps.LastOrDefault(s => !s.Succeeded) is { } step ? $" during '{step.Name}'" : "";
        return $"{InterruptedText}{running}; nothing after it ran" + (afterOutage
            ? "; the cluster was already broken and may be only partly restored"
            : "; the cluster was not broken yet");
    }

    private async Task<ProbeResult> WaitForProbeAsync(Task<ProbeResult> probe, CancellationTokenSource stop, CancellationToken ct)
    {
        var finished = await Task.WhenAny(probe, Task.Delay(env.RecoveryTimeout, time, ct)).ConfigureAwait(false);
        if (finished != probe)
            await stop.CancelAsync().ConfigureAwait(false);
        return await probe.ConfigureAwait(false);
    }

    /// <summary>The probe's result even when it ended by cancellation or a bug of its own: the report must still be written.</summary>
    private static async Task<ProbeResult?> ProbeOutcomeAsync(Task<ProbeResult> probe)
    {
        try
        {
            return await probe.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or DrException)
        {
            return null;
        }
    }

    private Task Say(string line) => log.WriteLineAsync(line);

    public DrillFault FaultFor(DrillScenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var masters = env.Masters;
        return scenario.Kind switch
        {
            // The survivor is the last master; the majority before it goes down.
            DrillScenarioKind.LoseQuorum => new DrillFault(DrillFaultKind.StopEtcd, [.. masters.Take(masters.Count / 2 + 1)]),
            DrillScenarioKind.WipeAll or DrillScenarioKind.WipeAllForceNewCluster or DrillScenarioKind.FromStore => new DrillFault(DrillFaultKind.WipeData, masters),
            DrillScenarioKind.CorruptMember => new DrillFault(DrillFaultKind.CorruptData, [masters[Math.Min(1, masters.Count - 1)]]),
            DrillScenarioKind.LoseMaster => new DrillFault(DrillFaultKind.LoseHost, [masters[Math.Min(1, masters.Count - 1)]]),
            _ => throw new DrException($"no fault for {scenario.Name}", FailureKind.Usage),
        };
    }

    private DrillRestoreRequest RestoreRequestFor(DrillScenario scenario, DrillFault fault, DrillSnapshot snapshot, IReadOnlyList<string> pki, IReadOnlyDictionary<string, string> replacements)
    {
        var cluster = env.Context.Cluster;
        return scenario.Kind switch
        {
            DrillScenarioKind.LoseQuorum => new(scenario.RestoreStrategy, cluster, null, null, env.Masters.Except(fault.Hosts).First(), replacements, null, env.IdentityFile),
            DrillScenarioKind.WipeAll or DrillScenarioKind.WipeAllForceNewCluster => new(scenario.RestoreStrategy, cluster, snapshot.Location, null, null, replacements, null, env.IdentityFile),
            DrillScenarioKind.FromStore => new(scenario.RestoreStrategy, cluster, null, env.StoreUrl, null, replacements, null, env.IdentityFile),
            DrillScenarioKind.CorruptMember => new(scenario.RestoreStrategy, cluster, null, null, fault.Hosts[0], replacements, null, env.IdentityFile),
            DrillScenarioKind.LoseMaster => new(scenario.RestoreStrategy, cluster, null, null, fault.Hosts[0], replacements,
                pki[env.Masters.ToList().IndexOf(fault.Hosts[0])], env.IdentityFile),
            _ => throw new DrException($"no restore for {scenario.Name}", FailureKind.Usage),
        };
    }

    private static string RestoreStepName(DrillRestoreRequest r) => r.Strategy switch
    {
        "member" => $"restore member {r.Member}" + (r.Replacements.Count > 0 ? " --replace" : ""),
        "from-member" => $"restore run --from-member {r.Member}",
        _ => $"restore run --strategy {r.Strategy}" + (r.StoreUrl is not null ? " --from store latest" : ""),
    };

    private static string Describe(DrillFaultKind kind) => kind switch
    {
        DrillFaultKind.StopEtcd => "etcd stopped and kept down",
        DrillFaultKind.WipeData => "data dirs wiped",
        DrillFaultKind.CorruptData => "data corrupted",
        DrillFaultKind.LoseHost => "master lost",
        _ => kind.ToString(),
    };

    private async Task<string> EtcdVersionsAsync(CancellationToken ct)
    {
        using var client = new EtcdClient(env.Connection());
        var statuses = await client.StatusAllAsync(ct).ConfigureAwait(false);
        return string.Join(", ", statuses.Where(s => s.Status is not null).Select(s => s.Status!.Version).Distinct(StringComparer.Ordinal));
    }

    /// <summary>The snapshot as the schedule takes it: streamed once, trailer checked, encrypted, into the store (plus a local copy for the restore).</summary>
    private async Task<DrillSnapshot> SaveSnapshotAsync(CancellationToken ct)
    {
        using var client = new EtcdClient(env.Connection());
        await using var opened = new OpenedStores();
        var store = StoreDestination.For(opened.TryOpen(env.StoreUrl), env.Context.Cluster);
        Directory.CreateDirectory(env.WorkDirectory);
        var local = Path.Combine(env.WorkDirectory, "snapshot.db.age");
        var encryption = new SnapshotEncryption([PkiVault.Age.AgeRecipient.Parse(env.Recipient)], [env.Recipient]);
        var save = await new SnapshotSaver(client, time).SaveAsync(new SnapshotSaveRequest([new LocalFileDestination(local, overwrite: false), store], encryption), null, TextWriter.Null, ct).ConfigureAwait(false);
        if (save.Partial)
            throw new DrException("the snapshot did not reach every destination: " + string.Join("; ", save.Destinations.Where(d => !d.Succeeded).Select(d => $"{d.Destination}: {d.Error}")), FailureKind.Partial);
        var m = save.Manifest;
        return new DrillSnapshot(local, m.FileSize, m.Revision, m.FileSha256, m.Encrypted, m.EtcdVersion, m.MemberName, m.CreatedAt);
    }

    /// <summary>One master's PKI as `pki backup --to` stores it; the local copy is what the restore lays down.</summary>
    private async Task<string> BackupPkiAsync(string master, CancellationToken ct)
    {
        var host = env.HostFor(master);
        await using var opened = new OpenedStores();
        var local = Path.Combine(env.WorkDirectory, $"pki-{master}.tar.age");
        var result = await PkiStoreBackup.WriteAsync(new RemotePkiSource(host, PkiVault.Archive.PkiLayout.For(env.PkiFlavor)), env.PkiFlavor.ToString().ToLowerInvariant(),
            env.Context.Cluster, [opened.TryOpen(env.StoreUrl)], local, false, [PkiVault.Age.AgeRecipient.Parse(env.Recipient)], [env.Recipient], false, time, _ => { }, ct).ConfigureAwait(false);
        if (result.Partial)
            throw new DrException($"{master}: the PKI archive did not reach every destination: " + string.Join("; ", result.Copies.Where(c => !c.Succeeded).Select(c => $"{c.Destination}: {c.Error}")), FailureKind.Partial);
        return local;
    }

    public static string NewRunId(DateTimeOffset now) =>
        now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture) + "-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3));
}
