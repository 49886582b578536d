using EtcdDr.Tests.Fakes;
using System.Diagnostics;
using EtcdDr.Etcd;
using EtcdDr.Snapshots;
using EtcdDr.Testing;

namespace EtcdDr.Tests.Snapshots;

/// <summary>
/// Members that misbehave in ways real etcd rarely does on demand: malformed messages, a call that is
/// accepted and never answered, an interrupt mid-stream. Each must fail over (or stop) cleanly.
/// </summary>
public class SnapshotSaverFailureTests
{
    private static EtcdClient Client(TimeSpan? callTimeout, params FakeEtcdServer[] servers) =>
        new(new EtcdConnectionOptions(servers.Select(s => s.Endpoint).ToList(), DialTimeout: TimeSpan.FromSeconds(1), CallTimeout: callTimeout));

    private static async Task<SnapshotSaveResult> Save(string path, params FakeEtcdServer[] servers)
    {
        using var client = Client(TimeSpan.FromSeconds(1), servers);
        return await new SnapshotSaver(client, TimeProvider.System).SaveAsync(SnapshotSaveRequest.ToFile(path), null, TextWriter.Null, default);
    }

    private static void AssertNothingAt(string path)
    {
        Assert.False(File.Exists(path), $"{path} exists");
        Assert.False(File.Exists(path + ".part"), $"{path}.part exists");
        Assert.False(File.Exists(SnapshotManifest.PathFor(path)), "manifest exists");
    }

    /// <summary>Two followers; <paramref name="bad"/> is more caught up, so it is tried first.</summary>
    private static async Task<(FakeEtcdServer Bad, FakeEtcdServer Good)> BadFirstAsync(SnapshotBehaviour behaviour)
    {
        var bad = await FakeEtcdServer.StartAsync();
        var good = await FakeEtcdServer.StartAsync();
        bad.Snapshot = behaviour;
        bad.LeaderId = good.LeaderId = 0x999;
        bad.RaftIndex = 200;
        return (bad, good);
    }

    [Theory]
    [InlineData(SnapshotBehaviour.MalformedHeader, "malformed")]
    [InlineData(SnapshotBehaviour.HugeLength, "malformed")]
    [InlineData(SnapshotBehaviour.HangBeforeHeaders, "no answer")]
    public async Task Fails_over_from_a_member_whose_stream_is_unusable(SnapshotBehaviour behaviour, string expected)
    {
        var (bad, good) = await BadFirstAsync(behaviour);
        await using var _ = bad;
        await using var __ = good;
        using var dir = new TempDir();
        var path = dir.File("snap.db");

        var result = await Save(path, good, bad);

        Assert.Equal(1, bad.SnapshotCalls);
        Assert.Equal(good.ExpectedFile(), await File.ReadAllBytesAsync(path));
        Assert.Contains(expected, Assert.Single(result.FailedAttempts));
    }

    [Theory]
    [InlineData(SnapshotBehaviour.MalformedHeader)]
    [InlineData(SnapshotBehaviour.HugeLength)]
    public async Task A_malformed_stream_from_the_only_member_is_an_integrity_failure(SnapshotBehaviour behaviour)
    {
        await using var server = await FakeEtcdServer.StartAsync();
        server.Snapshot = behaviour;
        using var dir = new TempDir();
        var path = dir.File("snap.db");
        var ex = await Assert.ThrowsAsync<DrException>(() => Save(path, server));
        Assert.Equal(FailureKind.Integrity, ex.Kind);
        Assert.Contains("malformed", ex.Message);
        AssertNothingAt(path);
    }

    [Fact]
    public async Task Every_member_corrupt_is_integrity_on_one_line_naming_each()
    {
        var (bad, other) = await BadFirstAsync(SnapshotBehaviour.FlipBitInBlob);
        await using var _ = bad;
        await using var __ = other;
        other.Snapshot = SnapshotBehaviour.MalformedHeader;
        using var dir = new TempDir();
        var path = dir.File("snap.db");

        var ex = await Assert.ThrowsAsync<DrException>(() => Save(path, other, bad));

        Assert.Equal(FailureKind.Integrity, ex.Kind);
        Assert.DoesNotContain('\n', ex.Message);
        Assert.StartsWith("no member produced a good snapshot: ", ex.Message);
        Assert.Contains($"{EtcdConnectionOptions.Name(bad.Endpoint)}: ", ex.Message);
        Assert.Contains($"{EtcdConnectionOptions.Name(other.Endpoint)}: ", ex.Message);
        AssertNothingAt(path);
    }

    [Fact]
    public async Task A_member_that_never_answers_the_snapshot_call_fails_within_the_deadline()
    {
        await using var server = await FakeEtcdServer.StartAsync();
        server.Snapshot = SnapshotBehaviour.HangBeforeHeaders;
        using var dir = new TempDir();
        var path = dir.File("snap.db");
        var clock = Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<DrException>(() => Save(path, server));

        // Call timeout 1 s + dial timeout 1 s; generous slack for a loaded machine.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}");
        Assert.Equal(FailureKind.Unreachable, ex.Kind);
        Assert.Contains("no answer to /etcdserverpb.Maintenance/Snapshot", ex.Message);
        AssertNothingAt(path);
    }

    [Fact]
    public async Task A_malformed_unary_reply_fails_over_to_the_next_endpoint()
    {
        await using var bad = await FakeEtcdServer.StartAsync();
        await using var good = await FakeEtcdServer.StartAsync();
        bad.MalformedUnary = true;
        using var client = Client(TimeSpan.FromSeconds(2), bad, good);

        var status = await Assert.ThrowsAsync<GrpcException>(() => client.StatusAsync(bad.Endpoint, default));
        Assert.Equal(GrpcStatusCode.DataLoss, status.Status);
        Assert.Contains("malformed Status reply", status.Message);

        var members = await client.MemberListAsync(default);
        Assert.Equal("fake", Assert.Single(members.Members).Name);
    }

    [Fact]
    public async Task Cancelling_mid_stream_leaves_no_file_and_no_part_file()
    {
        await using var server = await FakeEtcdServer.StartAsync(dbSize: 4 * 1024 * 1024);
        using var dir = new TempDir();
        var path = dir.File("snap.db");
        using var cts = new CancellationTokenSource();
        var cancelOnFirstChunk = new Progress(() => cts.Cancel());
        using var client = Client(TimeSpan.FromSeconds(2), server);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new SnapshotSaver(client, TimeProvider.System).SaveAsync(SnapshotSaveRequest.ToFile(path), cancelOnFirstChunk, TextWriter.Null, cts.Token));

        Assert.Equal(1, server.SnapshotCalls);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    /// <summary>Runs an action on the first report, synchronously (System.Progress would post it).</summary>
    private sealed class Progress(Action first) : IProgress<SnapshotProgress>
    {
        private int _reports;

        public void Report(SnapshotProgress value)
        {
            if (Interlocked.Increment(ref _reports) == 1)
                first();
        }
    }
}
