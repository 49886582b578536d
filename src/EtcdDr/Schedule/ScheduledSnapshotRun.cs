using EtcdDr.Etcd;
using EtcdDr.Snapshots;
using EtcdDr.Storage;
using EtcdDr.Topology;

namespace EtcdDr.Schedule;

/// <summary>What a scheduled run did; <see cref="Error"/> is set when it failed.</summary>
public sealed record ScheduledRunResult(RunOutcome Outcome, SnapshotSaveResult? Save, IReadOnlyList<string> Problems, DrException? Error = null);

/// <summary>
/// One timer run on a master: take the lock (skip or wait when a previous run is still going),
/// stand down unless this member leads (with onlyIfLeader), save to every destination, prune each
/// store after a good save, and write the metrics file whatever happened.
/// </summary>
public sealed class ScheduledSnapshotRun(TimeProvider time)
{
    public async Task<ScheduledRunResult> RunAsync(ScheduleConfig config, TextWriter log, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(log);
        var started = time.GetTimestamp();
        ScheduledRunResult? result = null;
        try
        {
            result = await RunLockedAsync(config, log, ct).ConfigureAwait(false);
            return result;
        }
        finally
        {
            // Whatever ended the run (a bad recipient, a full disk, the unit's timeout
            // cancelling it), the metrics must count an attempt and a failure, or the alerts on
            // them go blind exactly when something is wrong.
            await WriteMetricsAsync(config, result, time.GetElapsedTime(started), log).ConfigureAwait(false);
        }
    }

    private async Task WriteMetricsAsync(ScheduleConfig config, ScheduledRunResult? result, TimeSpan duration, TextWriter log)
    {
        if (config.Metrics?.Textfile is not { } textfile)
            return;
        try
        {
            // Not the run's token: a cancelled run is exactly one whose failure must be recorded.
            await TextfileMetrics.WriteAsync(textfile, config.Cluster, result?.Outcome ?? RunOutcome.Failed, result?.Save?.Manifest, duration, time.GetUtcNow(),
                CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (result is null && ex is IOException or UnauthorizedAccessException)
        {
            // The run already failed with its own error, which is the one to report.
            await log.WriteLineAsync($"warning: could not write {textfile}: {ex.Message}").ConfigureAwait(false);
        }
    }

    private async Task<ScheduledRunResult> RunLockedAsync(ScheduleConfig config, TextWriter log, CancellationToken ct)
    {
        using var runLock = await RunLock.TryAcquireAsync(config.Lock.File, TimeSpan.FromSeconds(config.Lock.WaitSeconds), time, ct).ConfigureAwait(false);
        if (runLock is null)
        {
            await log.WriteLineAsync($"another run holds {config.Lock.File}; skipping this one").ConfigureAwait(false);
            return new ScheduledRunResult(RunOutcome.SkippedBusy, null, []);
        }
        try
        {
            using var client = new EtcdClient(Connection(config.Etcd));
            if (config.OnlyIfLeader && !await IsLeaderAsync(client, ct).ConfigureAwait(false))
            {
                await log.WriteLineAsync("this member is not the leader; the leader's timer takes the snapshot").ConfigureAwait(false);
                return new ScheduledRunResult(RunOutcome.SkippedNotLeader, null, []);
            }

            await using var opened = new OpenedStores();
            // A destination that cannot be opened (no credentials for it) fails alone.
            var destinations = config.Destinations.Select(url => (ISnapshotDestination)StoreDestination.For(opened.TryOpen(url), config.Cluster)).ToList();
            StoreDestination.RequireOneUsable(destinations);
            // Encrypted whenever the config names recipients: a snapshot holds every Secret.
            var encryption = config.Recipients is { Count: > 0 } names
                ? new SnapshotEncryption(names.Select(PkiVault.Age.AgeRecipient.Parse).ToList(), names)
                : null;
            var request = new SnapshotSaveRequest(destinations, encryption);
            var save = await new SnapshotSaver(client, time).SaveAsync(request, null, log, ct).ConfigureAwait(false);

            var problems = save.Destinations.Where(d => !d.Succeeded).Select(d => $"{d.Destination}: {d.Error}").ToList();
            if (config.Retention?.ToPolicy() is { IsEmpty: false } policy)
                problems.AddRange(await PruneAfterSave.RunAsync(destinations, save, config.Cluster, policy, log, ct).ConfigureAwait(false));
            return new ScheduledRunResult(problems.Count > 0 ? RunOutcome.Partial : RunOutcome.Success, save, problems);
        }
        catch (DrException ex)
        {
            return new ScheduledRunResult(RunOutcome.Failed, null, [ex.Message], ex);
        }
    }

    /// <summary>Whether the first endpoint (the local member) is the leader, by its own Status.</summary>
    private static async Task<bool> IsLeaderAsync(EtcdClient client, CancellationToken ct)
    {
        var status = await client.StatusAsync(client.Endpoints[0], ct).ConfigureAwait(false);
        return status.Leader == status.Header.MemberId;
    }

    /// <summary>Explicit endpoints and certificates win; otherwise the flavor's usual places.</summary>
    public static EtcdConnectionOptions Connection(ScheduleConfig.EtcdSection etcd)
    {
        if (etcd.Endpoints is { Count: > 0 } endpoints)
        {
            var tls = etcd.Cacert is not null || etcd.Cert is not null;
            return new EtcdConnectionOptions(EtcdConnectionOptions.ParseEndpoints(endpoints, tls), tls ? EtcdTls.FromFiles(etcd.Cacert, etcd.Cert, etcd.Key) : null,
                Credentials: etcd.Credentials());
        }
        var member = LocalMemberCredentials.Find(etcd.Root);
        return new EtcdConnectionOptions([member.Endpoint], EtcdTls.FromFiles(member.CaFile, member.CertFile, member.KeyFile), Credentials: etcd.Credentials());
    }
}
