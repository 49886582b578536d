using System.Globalization;

namespace EtcdDr.Drill;

/// <summary>One canary put: when it was sent, and whether etcd acknowledged it.</summary>
public sealed record CanaryWrite(long Sequence, DateTimeOffset WrittenAt, DateTimeOffset? AckedAt, string? Error)
{
    public bool Acked => AckedAt is not null;
}

/// <summary>
/// Puts a timestamped key every <see cref="Interval"/> (100 ms) until stopped, one at a time, and
/// keeps a ledger of every attempt. The ledger is what RPO and "no failed write" are computed from:
/// an acknowledged write is one etcd promised to keep.
/// </summary>
public sealed class CanaryWriter(ICanaryCluster cluster, string prefix, TimeProvider time) : IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    /// <summary>A single put may not hold the writer longer than this; a slower one counts as failed.</summary>
    public static readonly TimeSpan PutTimeout = TimeSpan.FromSeconds(5);

    private readonly List<CanaryWrite> _writes = [];
    private readonly Lock _lock = new();
    private CancellationTokenSource? _stop;
    private Task? _loop;

    public string Prefix => prefix;

    public static string KeyFor(string prefix, long sequence) => prefix + sequence.ToString("D8", CultureInfo.InvariantCulture);

    /// <summary>Reads the sequence back from a canary key; null for other keys under the prefix.</summary>
    public static long? SequenceOf(string prefix, string key) =>
        key.StartsWith(prefix, StringComparison.Ordinal) && long.TryParse(key.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var seq) ? seq : null;

    public IReadOnlyList<CanaryWrite> Writes
    {
        get
        {
            lock (_lock)
                return [.. _writes];
        }
    }

    /// <summary>The newest acknowledged write so far (0 when none).</summary>
    public long LastAcked
    {
        get
        {
            lock (_lock)
                return _writes.LastOrDefault(w => w.Acked)?.Sequence ?? 0;
        }
    }

    public void Start()
    {
        if (_loop is not null)
            throw new InvalidOperationException("the canary writer is already running");
        _stop = new CancellationTokenSource();
        _loop = Task.Run(() => LoopAsync(_stop.Token));
    }

    /// <summary>Writes one canary now and waits for it (the first one, before the snapshot, must land).</summary>
    public Task<CanaryWrite> WriteOneAsync(CancellationToken ct) => PutNextAsync(ct);

    private async Task LoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
                await PutNextAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private long _sequence;

    private async Task<CanaryWrite> PutNextAsync(CancellationToken ct)
    {
        var seq = Interlocked.Increment(ref _sequence);
        var writtenAt = time.GetUtcNow();
        CanaryWrite write;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(PutTimeout);
        try
        {
            await cluster.PutAsync(KeyFor(prefix, seq), writtenAt.ToString("O", CultureInfo.InvariantCulture), timeout.Token).ConfigureAwait(false);
            write = new CanaryWrite(seq, writtenAt, time.GetUtcNow(), null);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopped mid-put (the outage begins): neither acknowledged nor a client-visible failure.
            lock (_lock)
                _writes.Add(new CanaryWrite(seq, writtenAt, null, null));
            throw;
        }
        catch (Exception ex) when (ex is DrException or OperationCanceledException or IOException)
        {
            write = new CanaryWrite(seq, writtenAt, null, ex is OperationCanceledException ? $"no answer within {PutTimeout.TotalSeconds:0} s" : ex.Message);
        }
        lock (_lock)
            _writes.Add(write);
        return write;
    }

    /// <summary>Stops the writer after its current put; returns the ledger.</summary>
    public async Task<IReadOnlyList<CanaryWrite>> StopAsync()
    {
        if (_stop is not null && _loop is not null)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            await _loop.ConfigureAwait(false);
        }
        return Writes;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop?.Dispose();
    }
}
