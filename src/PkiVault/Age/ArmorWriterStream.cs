using PkiVault.IO;
using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace PkiVault.Age;

/// <summary>
/// Base64-encodes everything written into 64-column lines between the BEGIN and END markers.
/// Input is held back only up to a whole line (48 bytes) so lines always break at 64 columns.
/// </summary>
internal sealed class ArmorWriterStream(Stream output, bool leaveOpen) : WriteOnlyStream
{
    private const int BlockLines = 512;
    private readonly byte[] _carry = new byte[ArmorText.BytesPerLine];
    private readonly byte[] _text = ArrayPool<byte>.Shared.Rent(BlockLines * (ArmorText.Columns + 1));
    private int _carryCount;
    private bool _begun;
    private bool _disposed;

    public override bool CanWrite => !_disposed;

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        EnsureBegun();
        while (!buffer.IsEmpty)
        {
            var length = Encode(ref buffer);
            if (length > 0)
                output.Write(_text, 0, length);
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!_begun)
        {
            _begun = true;
            await output.WriteAsync(Encoding.ASCII.GetBytes(ArmorText.Begin + "\n"), cancellationToken).ConfigureAwait(false);
        }
        while (!buffer.IsEmpty)
        {
            var span = buffer.Span;
            var before = span.Length;
            var length = Encode(ref span);
            buffer = buffer[(before - span.Length)..];
            if (length > 0)
                await output.WriteAsync(_text.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Consumes input into whole lines of text in <see cref="_text"/>; returns the text length.</summary>
    private int Encode(ref ReadOnlySpan<byte> input)
    {
        var written = 0;
        for (var line = 0; line < BlockLines && !input.IsEmpty; line++)
        {
            ReadOnlySpan<byte> source;
            if (_carryCount > 0 || input.Length < ArmorText.BytesPerLine)
            {
                var n = Math.Min(input.Length, ArmorText.BytesPerLine - _carryCount);
                input[..n].CopyTo(_carry.AsSpan(_carryCount));
                _carryCount += n;
                input = input[n..];
                if (_carryCount < ArmorText.BytesPerLine)
                    break;
                source = _carry;
                _carryCount = 0;
            }
            else
            {
                source = input[..ArmorText.BytesPerLine];
                input = input[ArmorText.BytesPerLine..];
            }
            Base64.EncodeToUtf8(source, _text.AsSpan(written), out _, out var encoded);
            written += encoded;
            _text[written++] = (byte)'\n';
        }
        return written;
    }

    private void EnsureBegun()
    {
        if (_begun)
            return;
        _begun = true;
        output.Write(Encoding.ASCII.GetBytes(ArmorText.Begin + "\n"));
    }

    private byte[] Footer()
    {
        var footer = new MemoryStream();
        if (_carryCount > 0)
        {
            footer.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(_carry, 0, _carryCount)));
            footer.WriteByte((byte)'\n');
        }
        footer.Write(Encoding.ASCII.GetBytes(ArmorText.End + "\n"));
        return footer.ToArray();
    }

    public override void Flush() => output.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => output.FlushAsync(cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (_disposed)
            return;
        _disposed = true;
        if (disposing)
        {
            EnsureBegun();
            output.Write(Footer());
            output.Flush();
            if (!leaveOpen)
                output.Dispose();
        }
        ArrayPool<byte>.Shared.Return(_text);
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        _disposed = true;
        if (!_begun)
        {
            _begun = true;
            await output.WriteAsync(Encoding.ASCII.GetBytes(ArmorText.Begin + "\n")).ConfigureAwait(false);
        }
        await output.WriteAsync(Footer()).ConfigureAwait(false);
        await output.FlushAsync().ConfigureAwait(false);
        if (!leaveOpen)
            await output.DisposeAsync().ConfigureAwait(false);
        ArrayPool<byte>.Shared.Return(_text);
        GC.SuppressFinalize(this);
    }

}
