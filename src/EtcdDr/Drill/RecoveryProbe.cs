namespace EtcdDr.Drill;

/// <summary>When the probe saw the cluster serve again, and what it saw last while it did not.</summary>
/// <param name="QuorumAt">First moment a majority was healthy and a canary read and a write both worked.</param>
/// <param name="RecoveredAt">First moment EVERY expected member was healthy and a canary read and write
/// worked: the end of the RTO.</param>
/// <param name="FailedProbes">Probes that found the cluster not (yet) whole.</param>
public sealed record ProbeResult(DateTimeOffset Started, DateTimeOffset? QuorumAt, DateTimeOffset? RecoveredAt, int Probes, int FailedProbes, string? LastProblem);

/// <summary>
/// Asks the cluster every 100 ms, from the outage on, whether it is back: healthy members with a
/// leader, a read of a canary written before the snapshot, and a write. It runs beside the restore,
/// so the RTO is when clients could really use the cluster again, not when the restore says so.
/// </summary>
public sealed class RecoveryProbe(ICanaryCluster cluster, string readKey, string writePrefix, TimeProvider time)
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Probes until every member is healthy and the canary read and write work, or <paramref name="ct"/> ends.</summary>
    public async Task<ProbeResult> RunAsync(CancellationToken ct)
    {
        var started = time.GetUtcNow();
        DateTimeOffset? quorumAt = null;
        var probes = 0;
        var failed = 0;
        string? last = null;
        while (!ct.IsCancellationRequested)
        {
            probes++;
            var at = time.GetUtcNow();
            ClusterHealth? health;
            string? problem;
            try
            {
                (health, problem) = await ProbeOnceAsync(probes, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break; // stopped while asking: the drill gave up waiting
            }
            if (problem is null && health is not null)
            {
                quorumAt ??= at;
                if (health.Whole)
                    return new ProbeResult(started, quorumAt, at, probes, failed, last);
                problem = $"{health.Healthy} of {health.Expected} members healthy ({health.Detail})";
            }
            failed++;
            last = problem;
            try
            {
                await Task.Delay(Interval, time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        return new ProbeResult(started, quorumAt, null, probes, failed, last);
    }

    private async Task<(ClusterHealth? Health, string? Problem)> ProbeOnceAsync(int n, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(CallTimeout);
        try
        {
            var health = await cluster.HealthAsync(timeout.Token).ConfigureAwait(false);
            if (!health.Quorum)
                return (null, $"no quorum: {health.Healthy} of {health.Expected} members healthy ({health.Detail})");
            if (await cluster.GetAsync(readKey, timeout.Token).ConfigureAwait(false) is null)
                return (null, $"canary {readKey} is missing");
            await cluster.PutAsync(writePrefix + n.ToString("D6", System.Globalization.CultureInfo.InvariantCulture), time.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture), timeout.Token).ConfigureAwait(false);
            return (health, null);
        }
        catch (Exception ex) when (ex is DrException or OperationCanceledException or IOException && !ct.IsCancellationRequested)
        {
            return (null, ex is OperationCanceledException ? $"no answer within {CallTimeout.TotalSeconds:0} s" : ex.Message);
        }
    }
}
