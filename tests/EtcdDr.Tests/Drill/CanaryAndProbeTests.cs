using EtcdDr.Drill;

namespace EtcdDr.Tests.Drill;

public sealed class CanaryAndProbeTests
{
    /// <summary>A cluster whose answers the test scripts: down until <see cref="UpAfter"/> health calls,
    /// puts failing while <see cref="FailPuts"/>, and calls that hang until cancelled when <see cref="Hang"/>.</summary>
    private sealed class ScriptedCluster : ICanaryCluster
    {
        public readonly Dictionary<string, string> Data = new(StringComparer.Ordinal);
        public int UpAfter { get; set; }
        public int HealthyWhenUp { get; set; } = 3;
        public bool FailPuts { get; set; }
        public bool Hang { get; set; }
        private int _healthCalls;

        public async Task PutAsync(string key, string value, CancellationToken ct)
        {
            if (Hang)
                await Task.Delay(Timeout.Infinite, ct);
            if (FailPuts)
                throw new DrException("etcdserver: request timed out", FailureKind.Unreachable);
            lock (Data)
                Data[key] = value;
        }

        public Task<string?> GetAsync(string key, CancellationToken ct)
        {
            lock (Data)
                return Task.FromResult(Data.GetValueOrDefault(key));
        }

        public Task<IReadOnlyList<KeyValuePair<string, string>>> GetPrefixAsync(string prefix, CancellationToken ct)
        {
            lock (Data)
                return Task.FromResult<IReadOnlyList<KeyValuePair<string, string>>>([.. Data.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).OrderBy(kv => kv.Key, StringComparer.Ordinal)]);
        }

        public async Task<ClusterHealth> HealthAsync(CancellationToken ct)
        {
            if (Hang)
                await Task.Delay(Timeout.Infinite, ct);
            var n = Interlocked.Increment(ref _healthCalls);
            if (n <= UpAfter)
                throw new DrException("connection refused", FailureKind.Unreachable);
            return new ClusterHealth(HealthyWhenUp, 3, "scripted");
        }
    }

    [Fact]
    public async Task The_writer_puts_numbered_timestamped_canaries_and_counts_failed_puts()
    {
        var cluster = new ScriptedCluster();
        var writer = new CanaryWriter(cluster, "/c/", TimeProvider.System);
        Assert.True((await writer.WriteOneAsync(CancellationToken.None)).Acked);
        writer.Start();
        await Task.Delay(600);
        cluster.FailPuts = true;
        await Task.Delay(350);
        var ledger = await writer.StopAsync();

        Assert.Equal(Enumerable.Range(1, ledger.Count).Select(i => (long)i), ledger.Select(w => w.Sequence));
        Assert.InRange(ledger.Count(w => w.Acked), 4, 8);
        Assert.InRange(ledger.Count(w => w.Error is not null), 2, 4);
        Assert.Contains(ledger, w => w.Error == "etcdserver: request timed out");
        var stored = await cluster.GetPrefixAsync("/c/", CancellationToken.None);
        Assert.Equal(ledger.Where(w => w.Acked).Select(w => CanaryWriter.KeyFor("/c/", w.Sequence)), stored.Select(kv => kv.Key));
        Assert.Equal(1, CanaryWriter.SequenceOf("/c/", stored[0].Key));
        Assert.True(DateTimeOffset.TryParse(stored[0].Value, System.Globalization.CultureInfo.InvariantCulture, out _));
        // ~100 ms apart
        var gaps = ledger.Skip(1).Zip(ledger, (b, a) => (b.WrittenAt - a.WrittenAt).TotalMilliseconds).Skip(1).ToList();
        Assert.InRange(gaps.Average(), 80, 200);
    }

    [Fact]
    public async Task The_probe_waits_for_every_member_and_a_canary_read_and_write()
    {
        var cluster = new ScriptedCluster { UpAfter = 3, HealthyWhenUp = 2 };
        cluster.Data["/c/00000001"] = "x";
        var probe = new RecoveryProbe(cluster, "/c/00000001", "/p/", TimeProvider.System);
        using var cts = new CancellationTokenSource();
        var run = probe.RunAsync(cts.Token);
        await Task.Delay(700);
        Assert.False(run.IsCompleted, "2 of 3 members is a quorum, not a whole cluster");
        cluster.HealthyWhenUp = 3;
        var result = await run.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.NotNull(result.QuorumAt);
        Assert.NotNull(result.RecoveredAt);
        Assert.True(result.RecoveredAt > result.QuorumAt);
        Assert.True(result.FailedProbes >= 4);
        Assert.Contains("2 of 3 members healthy", result.LastProblem, StringComparison.Ordinal);
        Assert.NotEmpty(await cluster.GetPrefixAsync("/p/", CancellationToken.None));
    }

    [Fact]
    public async Task The_probe_does_not_recover_without_the_canary()
    {
        var cluster = new ScriptedCluster();
        var probe = new RecoveryProbe(cluster, "/c/00000001", "/p/", TimeProvider.System);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        var result = await probe.RunAsync(cts.Token);
        Assert.Null(result.RecoveredAt);
        Assert.Equal("canary /c/00000001 is missing", result.LastProblem);
    }

    [Fact]
    public async Task Stopping_the_probe_while_a_call_hangs_returns_a_result_instead_of_throwing()
    {
        var probe = new RecoveryProbe(new ScriptedCluster { Hang = true }, "/c/00000001", "/p/", TimeProvider.System);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var result = await probe.RunAsync(cts.Token);
        Assert.Null(result.RecoveredAt);
        Assert.Equal(1, result.Probes);
    }
}
