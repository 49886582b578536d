namespace PkiVault.Age;

/// <summary>
/// A read buffer over a stream that lets the header parser look at whole lines and the payload
/// reader look at a whole ciphertext chunk (plus one byte, to learn whether it is the last) without
/// copying it out first. Every method takes <c>useAsync</c> so the synchronous and asynchronous
/// Stream APIs share one code path; with <c>useAsync: false</c> the returned tasks are already done.
/// </summary>
internal sealed class ByteSource(Stream inner, int capacity)
{
    private readonly byte[] _buffer = new byte[capacity];
    private int _start;
    private int _end;
    private bool _eof;

    public Stream Inner => inner;

    public int Capacity => _buffer.Length;

    public ReadOnlySpan<byte> Buffered => _buffer.AsSpan(_start, _end - _start);

    public int Count => _end - _start;

    public void Consume(int count) => _start += count;

    /// <summary>Buffers at least <paramref name="minimum"/> bytes, or everything up to end of stream.</summary>
    public async ValueTask<int> FillAsync(int minimum, bool useAsync, CancellationToken cancellationToken)
    {
        if (minimum > _buffer.Length)
            throw new ArgumentOutOfRangeException(nameof(minimum));
        if (Count >= minimum || _eof)
            return Count;
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, Count);
            _end -= _start;
            _start = 0;
        }
        while (_end < minimum)
        {
            var memory = _buffer.AsMemory(_end);
            var read = useAsync
                ? await inner.ReadAsync(memory, cancellationToken).ConfigureAwait(false)
                : inner.Read(memory.Span);
            if (read == 0)
            {
                _eof = true;
                break;
            }
            _end += read;
        }
        return Count;
    }

    /// <summary>Copies buffered bytes first, then reads the inner stream.</summary>
    public async ValueTask<int> ReadAsync(Memory<byte> destination, bool useAsync, CancellationToken cancellationToken)
    {
        if (Count == 0)
            await FillAsync(1, useAsync, cancellationToken).ConfigureAwait(false);
        var n = Math.Min(Count, destination.Length);
        Buffered[..n].CopyTo(destination.Span);
        Consume(n);
        return n;
    }

    /// <summary>
    /// Reads one line ending in LF and returns it without the LF, or null at end of stream before any
    /// byte. A line longer than <paramref name="maxLength"/> throws; so does one cut off by end of
    /// stream, unless <paramref name="allowUnterminated"/> (then the rest is returned as the line).
    /// </summary>
    public async ValueTask<byte[]?> ReadLineAsync(int maxLength, Func<string, Exception> error, bool useAsync, CancellationToken cancellationToken, bool allowUnterminated = false)
    {
        var scanned = 0;
        while (true)
        {
            var lf = Buffered[scanned..].IndexOf((byte)'\n');
            if (lf >= 0)
            {
                var line = Buffered[..(scanned + lf)].ToArray();
                Consume(scanned + lf + 1);
                return line;
            }
            scanned = Count;
            if (scanned > maxLength)
                throw error($"a line is longer than {maxLength} bytes");
            var before = Count;
            var now = await FillAsync(Math.Min(_buffer.Length, before + 1), useAsync, cancellationToken).ConfigureAwait(false);
            if (now == before)
            {
                if (now == 0)
                    return null;
                if (!allowUnterminated)
                    throw error("the input ends in the middle of a line");
                var rest = Buffered.ToArray();
                Consume(rest.Length);
                return rest;
            }
        }
    }
}
