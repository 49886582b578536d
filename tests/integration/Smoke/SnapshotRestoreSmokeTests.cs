using EtcdDr.IntegrationTests.Infrastructure;

namespace EtcdDr.IntegrationTests.Smoke;

/// <summary>
/// The restore helper itself: a snapshot saved by etcdctl from a TLS cluster restores (hash checked)
/// into fresh members that serve the same keys, and a damaged snapshot is refused.
/// </summary>
public sealed class SnapshotRestoreSmokeTests
{
    [Fact]
    public async Task Snapshot_saved_from_tls_cluster_restores_into_a_new_member_with_all_keys()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using var work = TempDirectory.Create();
        await using var source = await EtcdCluster.StartAsync(new EtcdClusterOptions { Name = "snapsrc", Tls = true }, timeout.Token);
        var written = await source.PutKeysAsync(300, "/smoke/restore/", valueSize: 100, timeout.Token);
        await source.PutAsync("/smoke/canary", "still here", timeout.Token);

        var snapshot = await source.SaveSnapshotAsync(work.Combine("snap.db"), timeout.Token);
        // etcd appends the SHA-256 of the bolt file (whole 4 KiB pages) to the stream: size % 512 == 32.
        Assert.Equal(32, new FileInfo(snapshot).Length % 512);

        await using var restored = await SnapshotRestore.RestoreAndStartAsync(snapshot, cancellationToken: timeout.Token);

        Assert.NotEqual(source.InitialClusterToken, restored.InitialClusterToken);
        Assert.Equal(300, await restored.CountKeysAsync("/smoke/restore/", timeout.Token));
        Assert.Equal(written["/smoke/restore/00000299"], await restored.GetAsync("/smoke/restore/00000299", timeout.Token));
        Assert.Equal("still here", await restored.GetAsync("/smoke/canary", timeout.Token));
        // The restored cluster is writable, not just readable.
        await restored.PutAsync("/smoke/after-restore", "ok", timeout.Token);
    }

    [Fact]
    public async Task Damaged_snapshot_is_refused_by_the_hash_check()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var work = TempDirectory.Create();
        string snapshot;
        await using (var source = await EtcdCluster.StartAsync(new EtcdClusterOptions { Name = "snapbad" }, timeout.Token))
        {
            await source.PutKeysAsync(50, "/smoke/bad/", cancellationToken: timeout.Token);
            snapshot = await source.SaveSnapshotAsync(work.Combine("snap.db"), timeout.Token);
        }
        // Flip one byte of the database part (not of the trailing digest).
        var bytes = await File.ReadAllBytesAsync(snapshot, timeout.Token);
        bytes[bytes.Length / 2] ^= 0xFF;
        var damaged = work.Combine("damaged.db");
        await File.WriteAllBytesAsync(damaged, bytes, timeout.Token);

        var result = await SnapshotRestore.RestoreDataDirAsync(new SnapshotRestoreRequest(
            damaged, "m1", work.Combine("m1.data"), "m1=http://127.0.0.1:2380", "http://127.0.0.1:2380", "bad-token"), timeout.Token);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("expected sha256", result.Stderr, StringComparison.Ordinal);
        await Assert.ThrowsAnyAsync<Exception>(() => SnapshotRestore.RestoreAndStartAsync(damaged, cancellationToken: timeout.Token));
    }
}
