using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace EtcdDr.Storage;

/// <summary>
/// A store in memory, beside the interface: for unit tests of layout, listing and retention, and
/// for fault injection (a write that fails half-way, a listing that breaks).
/// </summary>
public sealed class InMemoryStore(TimeProvider? time = null) : ISnapshotStore, ITemporaryListing
{
    private readonly ConcurrentDictionary<string, (byte[] Data, DateTimeOffset Modified)> _objects = new(StringComparer.Ordinal);
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public string Description => "memory://";

    /// <summary>When set, writes fail after this many bytes (a dropped connection mid-upload).</summary>
    public long? FailWritesAfterBytes { get; set; }

    /// <summary>When true, listing throws half-way (a paginated listing that broke).</summary>
    public bool FailListing { get; set; }

    public IReadOnlyCollection<string> Keys => _objects.Keys.ToList();

    public async Task WriteAsync(string key, Func<Stream, CancellationToken, Task> writer, CancellationToken ct)
    {
        using var buffer = new LimitedMemoryStream(FailWritesAfterBytes);
        await writer(buffer, ct).ConfigureAwait(false);
        _objects[key] = (buffer.ToArray(), _time.GetUtcNow());
    }

    /// <summary>Keys with a <see cref="StoreLayout.TempMarker"/> file name stay hidden, as the directory backends hide their temp files.</summary>
    public IAsyncEnumerable<StoreObject> ListAsync(string prefix, CancellationToken ct) => EnumerateAsync(prefix, temporary: false, ct);

    public IAsyncEnumerable<StoreObject> ListTemporaryAsync(string prefix, CancellationToken ct) => EnumerateAsync(prefix, temporary: true, ct);

    private async IAsyncEnumerable<StoreObject> EnumerateAsync(string prefix, bool temporary, [EnumeratorCancellation] CancellationToken ct)
    {
        var count = 0;
        foreach (var (key, value) in _objects.Where(o => o.Key.StartsWith(prefix, StringComparison.Ordinal) && StoreLayout.IsTemporary(o.Key) == temporary).OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            ct.ThrowIfCancellationRequested();
            if (FailListing && ++count > 1)
                throw new DrException($"{Description}: listing broke off", FailureKind.Unreachable);
            yield return new StoreObject(key, value.Data.Length, value.Modified);
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    public Task<Stream> OpenReadAsync(string key, CancellationToken ct) =>
        _objects.TryGetValue(key, out var value)
            ? Task.FromResult<Stream>(new MemoryStream(value.Data, writable: false))
            : throw new DrException($"{Description}{key}: no such object", FailureKind.Usage);

    public Task DeleteAsync(string key, CancellationToken ct)
    {
        _objects.TryRemove(key, out _);
        return Task.CompletedTask;
    }

    /// <summary>Puts bytes directly, with a chosen time (tests building a year of snapshots).</summary>
    public void Put(string key, byte[] data, DateTimeOffset? modified = null) => _objects[key] = (data, modified ?? _time.GetUtcNow());

    public byte[] Get(string key) => _objects[key].Data;

    /// <summary>Holds no connection: nothing to release.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed class LimitedMemoryStream(long? limit) : MemoryStream
    {
        // Only the array overload: MemoryStream's span overload calls it for derived types, so
        // overriding both would recurse.
        public override void Write(byte[] buffer, int offset, int count)
        {
            if (limit is { } l && Length + count > l)
                throw new IOException("connection reset by peer (injected)");
            base.Write(buffer, offset, count);
        }

        public override void Write(ReadOnlySpan<byte> buffer) => Write(buffer.ToArray(), 0, buffer.Length);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.ToArray(), 0, buffer.Length);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer, offset, count);
            return Task.CompletedTask;
        }
    }
}
