using System.Text;

namespace PkiVault.Age;

/// <summary>
/// Decodes strict PEM armor: whitespace may surround the block, lines end in LF or CRLF, every data
/// line is exactly 64 columns except the last, padding only at the very end, canonical base64, and
/// nothing but whitespace after the END line. Anything else is <see cref="AgeErrorKind.MalformedArmor"/>.
/// </summary>
internal sealed class ArmorReaderStream(ByteSource source) : Stream
{
    private readonly byte[] _decoded = new byte[ArmorText.BytesPerLine];
    private int _decodedStart;
    private int _decodedEnd;
    private bool _begun;
    private bool _ended;
    private bool _sawShortLine;
    private bool _anyData;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>True when the buffered input, after optional whitespace, opens with the BEGIN marker.</summary>
    public static async ValueTask<bool> LooksArmoredAsync(ByteSource source, bool useAsync, CancellationToken cancellationToken)
    {
        var begin = Encoding.ASCII.GetBytes(ArmorText.Begin);
        var available = await source.FillAsync(Math.Min(source.Capacity, 1024), useAsync, cancellationToken).ConfigureAwait(false);
        var span = source.Buffered[..available];
        var i = 0;
        while (i < span.Length && ArmorText.IsWhitespace(span[i]))
            i++;
        var rest = span[i..];
        return rest.Length >= 5 && rest[..Math.Min(rest.Length, begin.Length)].SequenceEqual(begin.AsSpan(0, Math.Min(rest.Length, begin.Length)));
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadCoreAsync(buffer.AsMemory(offset, count), useAsync: false, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public override int Read(Span<byte> buffer)
    {
        var scratch = System.Buffers.ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            var n = Read(scratch, 0, buffer.Length);
            scratch.AsSpan(0, n).CopyTo(buffer);
            return n;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadCoreAsync(buffer.AsMemory(offset, count), useAsync: true, cancellationToken).AsTask();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ReadCoreAsync(buffer, useAsync: true, cancellationToken);

    private async ValueTask<int> ReadCoreAsync(Memory<byte> buffer, bool useAsync, CancellationToken cancellationToken)
    {
        if (!_begun)
            await ReadBeginAsync(useAsync, cancellationToken).ConfigureAwait(false);
        var written = 0;
        while (written < buffer.Length)
        {
            if (_decodedStart == _decodedEnd)
            {
                if (_ended || !await DecodeLineAsync(useAsync, cancellationToken).ConfigureAwait(false))
                    break;
                continue;
            }
            var n = Math.Min(buffer.Length - written, _decodedEnd - _decodedStart);
            _decoded.AsSpan(_decodedStart, n).CopyTo(buffer.Span[written..]);
            _decodedStart += n;
            written += n;
        }
        return written;
    }

    private async ValueTask ReadBeginAsync(bool useAsync, CancellationToken cancellationToken)
    {
        _begun = true;
        while (true)
        {
            await source.FillAsync(1, useAsync, cancellationToken).ConfigureAwait(false);
            if (source.Count == 0 || !ArmorText.IsWhitespace(source.Buffered[0]))
                break;
            source.Consume(1);
        }
        var line = await ReadLineAsync(useAsync, cancellationToken).ConfigureAwait(false);
        if (line is null || !string.Equals(line, ArmorText.Begin, StringComparison.Ordinal))
            throw Malformed("it does not start with '-----BEGIN AGE ENCRYPTED FILE-----'");
    }

    /// <summary>Decodes the next data line into <see cref="_decoded"/>; false at the END line.</summary>
    private async ValueTask<bool> DecodeLineAsync(bool useAsync, CancellationToken cancellationToken)
    {
        var line = await ReadLineAsync(useAsync, cancellationToken).ConfigureAwait(false)
            ?? throw new AgeException(AgeErrorKind.Truncated, "the armored file ends before its '-----END AGE ENCRYPTED FILE-----' line (truncated?)");
        if (string.Equals(line, ArmorText.End, StringComparison.Ordinal))
        {
            if (!_anyData)
                throw Malformed("it contains no data");
            await ExpectOnlyWhitespaceAsync(useAsync, cancellationToken).ConfigureAwait(false);
            _ended = true;
            return false;
        }
        if (_sawShortLine)
            throw Malformed("a data line follows the final (short or padded) line");
        if (line.Length == 0 || line.Length > ArmorText.Columns)
            throw Malformed($"a line has {line.Length} columns; lines must have 64 (the last may be shorter)");
        if (line.Length % 4 != 0)
            throw Malformed("a line is not a whole number of base64 groups (missing '=' padding?)");
        var padding = line.EndsWith("==", StringComparison.Ordinal) ? 2 : line.EndsWith('=') ? 1 : 0;
        for (var i = 0; i < line.Length - padding; i++)
        {
            if (!AgeBase64.IsAlphabet(line[i]))
                throw Malformed("a line contains a character outside base64");
        }
        if (line.Length < ArmorText.Columns || padding > 0)
            _sawShortLine = true;
        if (!Convert.TryFromBase64String(line, _decoded, out var decoded)
            || !string.Equals(Convert.ToBase64String(_decoded, 0, decoded), line, StringComparison.Ordinal))
            throw Malformed("a line is not canonical base64");
        _decodedStart = 0;
        _decodedEnd = decoded;
        _anyData = true;
        return true;
    }

    private async ValueTask ExpectOnlyWhitespaceAsync(bool useAsync, CancellationToken cancellationToken)
    {
        while (true)
        {
            var n = await source.FillAsync(1, useAsync, cancellationToken).ConfigureAwait(false);
            if (n == 0)
                return;
            foreach (var b in source.Buffered)
            {
                if (!ArmorText.IsWhitespace(b))
                    throw Malformed("there is data after the '-----END AGE ENCRYPTED FILE-----' line");
            }
            source.Consume(n);
        }
    }

    /// <summary>Reads a line without its LF or CRLF; the END line may also end at end of input.</summary>
    private async ValueTask<string?> ReadLineAsync(bool useAsync, CancellationToken cancellationToken)
    {
        var bytes = await source.ReadLineAsync(ArmorText.Columns + 2, Malformed, useAsync, cancellationToken, allowUnterminated: true).ConfigureAwait(false);
        if (bytes is null)
            return null;
        var length = bytes.Length > 0 && bytes[^1] == (byte)'\r' ? bytes.Length - 1 : bytes.Length;
        foreach (var b in bytes.AsSpan(0, length))
        {
            if (b is < 0x20 or > 0x7E)
                throw Malformed("it contains a byte that is not printable ASCII");
        }
        return Encoding.ASCII.GetString(bytes, 0, length);
    }

    private static AgeException Malformed(string reason) =>
        new(AgeErrorKind.MalformedArmor, $"malformed ASCII armor: {reason}");

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
