using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace PkiVault.IO;

/// <summary>
/// A write-only stream that hands full buffers to a dedicated thread, which writes them to the
/// inner stream in order. Encrypting (or decrypting) the next megabyte then overlaps the write
/// system calls of the previous one: copying into the page cache and the writeback hints cost as
/// much system time as the cipher costs user time, and a machine has more than one core.
/// Memory is bounded: <c>depth + 1</c> buffers of <c>bufferSize</c> bytes.
/// Rules: a failure of the inner stream surfaces on a later <see cref="Write(ReadOnlySpan{byte})"/>
/// or on <see cref="Flush"/>; only <see cref="Flush"/> guarantees that everything written has
/// reached the inner stream and rethrows a failure, so a caller flushes before it commits.
/// Disposing still writes what is pending (a decryption that fails at chunk N has released chunks
/// before N, as age does) but reports nothing; it leaves the inner stream open.
/// </summary>
public sealed class BackgroundWriteStream : WriteOnlyStream
{
    private readonly Stream _inner;
    private readonly BlockingCollection<Segment> _full;
    private readonly BlockingCollection<byte[]> _free = new();
    private readonly Thread _writer;
    private byte[] _current;
    private int _count;
    private volatile ExceptionDispatchInfo? _failure;
    private bool _disposed;

    /// <summary>A buffer to write, or (Buffer null) a marker the writer sets once it gets there.</summary>
    private readonly record struct Segment(byte[]? Buffer, int Count, ManualResetEventSlim? Reached);

    public BackgroundWriteStream(Stream inner, int bufferSize = 256 * 1024, int depth = 4)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        _inner = inner;
        _full = new BlockingCollection<Segment>(depth + 1);
        for (var i = 0; i < depth; i++)
            _free.Add(new byte[bufferSize]);
        _current = new byte[bufferSize];
        _writer = new Thread(Drain) { IsBackground = true, Name = "background writer" };
        _writer.Start();
    }

    public override bool CanWrite => !_disposed;

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ThrowIfFailed();
        while (!buffer.IsEmpty)
        {
            var n = Math.Min(buffer.Length, _current.Length - _count);
            buffer[..n].CopyTo(_current.AsSpan(_count));
            _count += n;
            buffer = buffer[n..];
            if (_count == _current.Length)
                HandOver();
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    /// <summary>Waits until the writer has written everything so far, flushes the inner stream, and rethrows the writer's failure.</summary>
    public override void Flush()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_count > 0)
            HandOver();
        using var reached = new ManualResetEventSlim();
        _full.Add(new Segment(null, 0, reached));
        reached.Wait();
        ThrowIfFailed();
        _inner.Flush();
    }

    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Flush();
        return Task.CompletedTask;
    }


    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            if (_count > 0)
                _full.Add(new Segment(_current, _count, null));
            _full.CompleteAdding();
            _writer.Join();
            _full.Dispose();
            _free.Dispose();
        }
        base.Dispose(disposing);
    }

    private void HandOver()
    {
        _full.Add(new Segment(_current, _count, null));
        _current = _free.Take();
        _count = 0;
        ThrowIfFailed();
    }

    private void ThrowIfFailed() => _failure?.Throw();

    private void Drain()
    {
        foreach (var segment in _full.GetConsumingEnumerable())
        {
            if (segment.Buffer is { } buffer)
            {
                // After a failure keep taking buffers (and giving them back) so the producer never
                // blocks; it sees the failure on its next write.
                if (_failure is null)
                {
                    try
                    {
                        _inner.Write(buffer, 0, segment.Count);
                    }
#pragma warning disable CA1031 // any failure of the inner stream belongs to the producer, rethrown there
                    catch (Exception ex)
#pragma warning restore CA1031
                    {
                        _failure = ExceptionDispatchInfo.Capture(ex);
                    }
                }
                _free.Add(buffer);
            }
            segment.Reached?.Set();
        }
    }
}
