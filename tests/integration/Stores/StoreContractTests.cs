using System.Security.Cryptography;
using EtcdDr.Storage;

namespace EtcdDr.IntegrationTests.Stores;

/// <summary>
/// What every <see cref="ISnapshotStore"/> must do, run against each backend by a subclass: the
/// round trip, prefixes, large streamed objects, and above all that a write which fails or is
/// cancelled part-way leaves nothing listed.
/// </summary>
public abstract class StoreContractTests
{
    /// <summary>A store rooted at a prefix (folder) of its own, so tests sharing a server do not meet.</summary>
    protected abstract ISnapshotStore CreateStore(string prefix);

    /// <summary>The backend's part (block) size in these tests; sizes below are chosen around it.</summary>
    protected virtual int PartSize => 5 << 20;

    /// <summary>Backends that can see unfinished uploads check that none is left behind.</summary>
    protected virtual Task AssertNoUnfinishedUploadAsync(ISnapshotStore store, string key) => Task.CompletedTask;

    private readonly string _run = Guid.NewGuid().ToString("N")[..12];

    private ISnapshotStore NewStore(string name = "store") => CreateStore($"contract-{_run}/{name}");

    [Fact]
    public async Task Write_list_read_delete_round_trip()
    {
        var store = NewStore();
        var data = Bytes(1000, seed: 1);
        await store.WriteAsync("c/snapshots/a.db", (s, ct) => s.WriteAsync(data, ct).AsTask(), default);

        var listed = Assert.Single(await store.ListAsync("c/", default).ToListAsync());
        Assert.Equal(("c/snapshots/a.db", 1000L), (listed.Key, listed.Size));
        Assert.True(listed.LastModified > DateTimeOffset.UtcNow.AddMinutes(-10), $"last modified {listed.LastModified}");
        Assert.Equal(data, await ReadAllAsync(store, "c/snapshots/a.db"));

        await store.DeleteAsync("c/snapshots/a.db", default);
        Assert.Empty(await store.ListAsync("c/", default).ToListAsync());
    }

    [Fact]
    public async Task Keys_are_relative_to_the_store_and_listing_filters_by_prefix()
    {
        var store = NewStore("one");
        var sibling = NewStore("one-sibling");
        foreach (var key in new[] { "c/snapshots/1.db", "c/snapshots/2.db", "c/pki/1.tar.age", "other/x" })
            await store.WriteAsync(key, (s, ct) => s.WriteAsync(Bytes(10, 2), ct).AsTask(), default);
        await sibling.WriteAsync("c/snapshots/9.db", (s, ct) => s.WriteAsync(Bytes(10, 3), ct).AsTask(), default);

        Assert.Equal(["c/snapshots/1.db", "c/snapshots/2.db"], (await store.ListAsync("c/snapshots/", default).ToListAsync()).Select(o => o.Key).Order(StringComparer.Ordinal));
        Assert.Equal(4, (await store.ListAsync("", default).ToListAsync()).Count);
        Assert.Equal(["c/snapshots/9.db"], (await sibling.ListAsync("", default).ToListAsync()).Select(o => o.Key));
    }

    [Fact]
    public async Task Listing_returns_every_page()
    {
        var store = NewStore();
        for (var i = 0; i < 7; i++)
            await store.WriteAsync($"p/{i}", (s, ct) => s.WriteAsync(Bytes(i, 4), ct).AsTask(), default);
        var listed = await store.ListAsync("p/", default).ToListAsync();
        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"p/{i}"), listed.Select(o => o.Key).Order(StringComparer.Ordinal));
        Assert.Equal(Enumerable.Range(0, 7).Select(i => (long)i), listed.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => o.Size));
    }

    [Fact]
    public async Task A_large_object_streams_up_in_parts_and_reads_back_identical()
    {
        var store = NewStore();
        const long size = (40L << 20) + 12345; // 40 MiB and a ragged tail
        var written = await WritePatternAsync(store, "big.db", size, failAfter: null, default);
        Assert.Equal(size, Assert.Single(await store.ListAsync("big", default).ToListAsync()).Size);
        await using var read = await store.OpenReadAsync("big.db", default);
        Assert.Equal(written, Convert.ToHexString(await SHA256.HashDataAsync(read)));
    }

    [Fact]
    public async Task An_object_ending_exactly_on_a_part_boundary_is_complete()
    {
        var store = NewStore();
        long size = 2L * PartSize;
        var written = await WritePatternAsync(store, "even.db", size, failAfter: null, default);
        await using var read = await store.OpenReadAsync("even.db", default);
        Assert.Equal(written, Convert.ToHexString(await SHA256.HashDataAsync(read)));
    }

    [Fact]
    public async Task An_empty_object_is_an_object()
    {
        var store = NewStore();
        await store.WriteAsync("empty", (_, _) => Task.CompletedTask, default);
        Assert.Equal(0, Assert.Single(await store.ListAsync("", default).ToListAsync()).Size);
        Assert.Empty(await ReadAllAsync(store, "empty"));
    }

    [Fact]
    public async Task A_writer_that_fails_after_several_parts_leaves_nothing_listed()
    {
        var store = NewStore();
        var ex = await Assert.ThrowsAsync<IOException>(() => WritePatternAsync(store, "broken.db", 4L * PartSize, failAfter: (5L * PartSize) / 2, default));
        Assert.Equal("etcd stream cut (injected)", ex.Message);
        Assert.Empty(await store.ListAsync("", default).ToListAsync());
        await AssertNoUnfinishedUploadAsync(store, "broken.db");
    }

    [Fact]
    public async Task A_writer_that_fails_within_the_first_part_leaves_nothing_listed()
    {
        var store = NewStore();
        await Assert.ThrowsAsync<IOException>(() => WritePatternAsync(store, "broken.db", 1000, failAfter: 100, default));
        Assert.Empty(await store.ListAsync("", default).ToListAsync());
    }

    [Fact]
    public async Task Cancelling_mid_upload_leaves_nothing_listed()
    {
        var store = NewStore();
        using var cts = new CancellationTokenSource();
        var cancelAt = (3L * PartSize) / 2;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.WriteAsync("cancelled.db", async (s, ct) =>
        {
            var chunk = Bytes(1 << 20, 5);
            for (long done = 0; done < 4L * PartSize; done += chunk.Length)
            {
                if (done >= cancelAt)
                    await cts.CancelAsync();
                ct.ThrowIfCancellationRequested();
                await s.WriteAsync(chunk, ct);
            }
        }, cts.Token));
        Assert.Empty(await store.ListAsync("", default).ToListAsync());
        await AssertNoUnfinishedUploadAsync(store, "cancelled.db");
    }

    [Fact]
    public async Task A_failed_overwrite_keeps_the_old_object_and_a_good_one_replaces_it()
    {
        var store = NewStore();
        var first = Bytes(3000, 6);
        await store.WriteAsync("k", (s, ct) => s.WriteAsync(first, ct).AsTask(), default);
        await Assert.ThrowsAsync<IOException>(() => WritePatternAsync(store, "k", 2L * PartSize, failAfter: PartSize + 1000, default));
        Assert.Equal(first, await ReadAllAsync(store, "k"));

        var second = Bytes(10, 7);
        await store.WriteAsync("k", (s, ct) => s.WriteAsync(second, ct).AsTask(), default);
        Assert.Equal(second, await ReadAllAsync(store, "k"));
        Assert.Single(await store.ListAsync("", default).ToListAsync());
    }

    [Fact]
    public async Task Reading_a_missing_object_is_a_usage_error_and_deleting_one_is_fine()
    {
        var store = NewStore();
        await store.WriteAsync("present", (s, ct) => s.WriteAsync(Bytes(1, 8), ct).AsTask(), default);
        var ex = await Assert.ThrowsAsync<DrException>(() => store.OpenReadAsync("missing", default));
        Assert.Equal(FailureKind.Usage, ex.Kind);
        Assert.Contains("no such object", ex.Message);
        await store.DeleteAsync("missing", default);
    }

    protected static byte[] Bytes(int count, int seed)
    {
        var data = new byte[count];
        new Random(seed).NextBytes(data);
        return data;
    }

    protected static async Task<byte[]> ReadAllAsync(ISnapshotStore store, string key)
    {
        await using var read = await store.OpenReadAsync(key, default);
        using var copy = new MemoryStream();
        await read.CopyToAsync(copy);
        return copy.ToArray();
    }

    /// <summary>Writes <paramref name="size"/> pseudo-random bytes in 1 MiB writes (a snapshot stream
    /// arrives in pieces too), failing with an IOException after <paramref name="failAfter"/> bytes.
    /// Returns the SHA-256 (hex) of what was written.</summary>
    protected static async Task<string> WritePatternAsync(ISnapshotStore store, string key, long size, long? failAfter, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var chunk = Bytes(1 << 20, 9);
        await store.WriteAsync(key, async (s, token) =>
        {
            for (long done = 0; done < size;)
            {
                var n = (int)Math.Min(chunk.Length, size - done);
                if (failAfter is { } limit && done + n > limit)
                    throw new IOException("etcd stream cut (injected)");
                // Vary the content per chunk so a misplaced part would change the hash.
                chunk[0] = (byte)(done >> 20);
                await s.WriteAsync(chunk.AsMemory(0, n), token);
                hash.AppendData(chunk, 0, n);
                done += n;
            }
        }, ct);
        return Convert.ToHexString(hash.GetHashAndReset());
    }
}
