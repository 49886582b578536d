using System.Buffers;
using System.Security.Cryptography;

namespace PkiVault.Age;

/// <summary>
/// A read-only stream of plaintext from an age payload. A chunk is decrypted, and its tag checked,
/// before any of its bytes are handed out, so a consumer never sees unauthenticated data; the
/// last chunk is recognised by end of input (one byte of look-ahead), as STREAM requires.
/// </summary>
public sealed class AgeReaderStream : Stream
{
    private readonly ByteSource _source;
    private readonly Stream _owned;
    private readonly bool _leaveOpen;
    private readonly ChaCha20Poly1305 _aead;
    private readonly byte[] _plain;
    private readonly byte[] _nonce = new byte[12];
    private int _plainStart;
    private int _plainEnd;
    private ulong _counter;
    private bool _done;
    private bool _disposed;

    internal AgeReaderStream(ByteSource source, byte[] payloadKey, Stream owned, bool leaveOpen)
    {
        _source = source;
        _owned = owned;
        _leaveOpen = leaveOpen;
        _aead = AgeCrypto.CreateAead(payloadKey);
        CryptographicOperations.ZeroMemory(payloadKey);
        _plain = ArrayPool<byte>.Shared.Rent(AgeFormat.ChunkSize);
    }

    public override bool CanRead => !_disposed;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty)
            return 0;
        if (_plainStart == _plainEnd && !_done)
            NextChunkAsync(useAsync: false, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        return Take(buffer);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty)
            return 0;
        if (_plainStart == _plainEnd && !_done)
            await NextChunkAsync(useAsync: true, cancellationToken).ConfigureAwait(false);
        return Take(buffer.Span);
    }

    /// <summary>Writes each authenticated chunk straight from the decryption buffer, with no extra copy.</summary>
    public override void CopyTo(Stream destination, int bufferSize)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (true)
        {
            if (_plainStart == _plainEnd)
            {
                if (_done)
                    return;
                NextChunkAsync(useAsync: false, CancellationToken.None).AsTask().GetAwaiter().GetResult();
                continue;
            }
            destination.Write(_plain, _plainStart, _plainEnd - _plainStart);
            _plainStart = _plainEnd;
        }
    }

    public override async Task CopyToAsync(Stream destination, int bufferSize, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (true)
        {
            if (_plainStart == _plainEnd)
            {
                if (_done)
                    return;
                await NextChunkAsync(useAsync: true, cancellationToken).ConfigureAwait(false);
                continue;
            }
            await destination.WriteAsync(_plain.AsMemory(_plainStart, _plainEnd - _plainStart), cancellationToken).ConfigureAwait(false);
            _plainStart = _plainEnd;
        }
    }

    private int Take(Span<byte> destination)
    {
        var n = Math.Min(destination.Length, _plainEnd - _plainStart);
        _plain.AsSpan(_plainStart, n).CopyTo(destination);
        _plainStart += n;
        return n;
    }

    private async ValueTask NextChunkAsync(bool useAsync, CancellationToken cancellationToken)
    {
        // Loop only to skip nothing: each call yields one authenticated chunk (possibly empty at the end).
        var available = await _source.FillAsync(AgeFormat.CipherChunkSize + 1, useAsync, cancellationToken).ConfigureAwait(false);
        var chunk = _counter;
        if (available > AgeFormat.CipherChunkSize)
        {
            var ciphertext = _source.Buffered[..AgeFormat.CipherChunkSize];
            if (!TryOpen(ciphertext, last: false))
            {
                if (TryOpen(ciphertext, last: true))
                    throw new AgeException(AgeErrorKind.TrailingData, $"there is data after the final chunk (chunk {chunk}); the file was appended to");
                throw new AgeException(AgeErrorKind.TamperedChunk, $"payload chunk {chunk} failed authentication: the file was modified or corrupted");
            }
            _source.Consume(AgeFormat.CipherChunkSize);
            _counter++;
            return;
        }

        if (available < AgeFormat.TagSize)
        {
            throw new AgeException(AgeErrorKind.Truncated, chunk == 0 && available == 0
                ? "the file has a header but no payload (truncated)"
                : $"the file ends inside payload chunk {chunk} (truncated)");
        }
        var last = _source.Buffered[..available];
        if (!TryOpen(last, last: true))
        {
            if (available == AgeFormat.CipherChunkSize && TryOpen(last, last: false))
                throw new AgeException(AgeErrorKind.Truncated, $"the file ends after chunk {chunk} without a final chunk (truncated at a chunk boundary)");
            throw new AgeException(AgeErrorKind.TamperedChunk, $"final payload chunk {chunk} failed authentication: the file is truncated or was modified");
        }
        if (available == AgeFormat.TagSize && chunk > 0)
        {
            _plainStart = _plainEnd = 0;
            throw new AgeException(AgeErrorKind.TamperedChunk, "the final chunk is empty, which v1 forbids unless the whole payload is empty");
        }
        _source.Consume(available);
        _counter++;
        _done = true;
    }

    private bool TryOpen(ReadOnlySpan<byte> ciphertext, bool last)
    {
        StreamNonce.Write(_nonce, _counter, last);
        var plainLength = ciphertext.Length - AgeFormat.TagSize;
        try
        {
            _aead.Decrypt(_nonce, ciphertext[..plainLength], ciphertext[plainLength..], _plain.AsSpan(0, plainLength));
        }
        catch (AuthenticationTagMismatchException)
        {
            _plainStart = _plainEnd = 0;
            return false;
        }
        _plainStart = 0;
        _plainEnd = plainLength;
        return true;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (!_disposed)
        {
            _disposed = true;
            _aead.Dispose();
            CryptographicOperations.ZeroMemory(_plain);
            ArrayPool<byte>.Shared.Return(_plain);
            if (disposing && !_leaveOpen)
                _owned.Dispose();
        }
        base.Dispose(disposing);
    }
}
