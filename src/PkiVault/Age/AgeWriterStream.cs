using PkiVault.IO;
using System.Buffers;
using System.Security.Cryptography;

namespace PkiVault.Age;

/// <summary>
/// A write-only stream: plaintext in, an age file out. The header goes out with the first chunk;
/// disposing writes the final chunk (and the armor footer). <see cref="Flush"/> only flushes what
/// is already encrypted, because the last chunk can only be sealed when no more data follows.
/// Memory is two 64 KiB buffers, whatever the size of the input.
/// </summary>
public sealed class AgeWriterStream : WriteOnlyStream
{
    private readonly Stream _output;
    private readonly Stream _sink;
    private readonly bool _leaveOpen;
    private readonly ChaCha20Poly1305 _aead;
    private byte[] _plain;
    private byte[]? _spare;
    private readonly byte[] _cipher;
    private readonly byte[] _nonce = new byte[12];
    private byte[]? _pendingPrefix;
    private int _plainCount;
    private ulong _counter;
    private bool _finished;
    private bool _disposed;

    internal AgeWriterStream(Stream output, byte[] headerAndNonce, byte[] payloadKey, bool armor, bool leaveOpen)
    {
        _output = output;
        _leaveOpen = leaveOpen;
        _sink = armor ? new ArmorWriterStream(output, leaveOpen: true) : output;
        _aead = AgeCrypto.CreateAead(payloadKey);
        CryptographicOperations.ZeroMemory(payloadKey);
        _pendingPrefix = headerAndNonce;
        _plain = ArrayPool<byte>.Shared.Rent(AgeFormat.ChunkSize);
        _cipher = ArrayPool<byte>.Shared.Rent(AgeFormat.CipherChunkSize);
    }

    public override bool CanWrite => !_disposed;

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ThrowIfUnusable();
        while (!buffer.IsEmpty)
        {
            // A full chunk is sealed only once we know more data follows: the last chunk may be full.
            if (_plainCount == AgeFormat.ChunkSize)
                SealAsync(last: false, useAsync: false, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            var n = Math.Min(buffer.Length, AgeFormat.ChunkSize - _plainCount);
            buffer[..n].CopyTo(_plain.AsSpan(_plainCount));
            _plainCount += n;
            buffer = buffer[n..];
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfUnusable();
        while (!buffer.IsEmpty)
        {
            if (_plainCount == AgeFormat.ChunkSize)
                await SealAsync(last: false, useAsync: true, cancellationToken).ConfigureAwait(false);
            var n = Math.Min(buffer.Length, AgeFormat.ChunkSize - _plainCount);
            buffer.Span[..n].CopyTo(_plain.AsSpan(_plainCount));
            _plainCount += n;
            buffer = buffer[n..];
        }
    }

    public override void Flush()
    {
        if (!_disposed)
            _sink.Flush();
    }

    public override Task FlushAsync(CancellationToken cancellationToken) =>
        _disposed ? Task.CompletedTask : _sink.FlushAsync(cancellationToken);

    /// <summary>
    /// Encrypts everything <paramref name="input"/> holds, reading straight into the chunk buffer (no
    /// intermediate copy) with synchronous reads, which for files avoids a thread-pool hop per chunk.
    /// A full chunk is sealed only after the next read shows more data follows.
    /// </summary>
    public void WriteFrom(Stream input, CancellationToken cancellationToken = default)
    {
        ThrowIfUnusable();
        _spare ??= ArrayPool<byte>.Shared.Rent(AgeFormat.ChunkSize);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_plainCount < AgeFormat.ChunkSize)
            {
                var n = input.Read(_plain, _plainCount, AgeFormat.ChunkSize - _plainCount);
                if (n == 0)
                    return;
                _plainCount += n;
                continue;
            }
            var next = input.Read(_spare, 0, AgeFormat.ChunkSize);
            if (next == 0)
                return;
            SealAsync(last: false, useAsync: false, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            (_plain, _spare) = (_spare, _plain);
            _plainCount = next;
        }
    }

    /// <summary>
    /// Marks the output as abandoned: disposing will then not seal a final chunk, so a half-written
    /// file can never pass for a complete one. Call it when the producer of the plaintext failed.
    /// </summary>
    public void Abort() => _finished = true;

    /// <summary>Seals the final chunk and writes the armor footer, synchronously.</summary>
    public void Finish()
    {
        ThrowIfUnusable();
        SealAsync(last: true, useAsync: false, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        _finished = true;
        if (!ReferenceEquals(_sink, _output))
            _sink.Dispose();
        _output.Flush();
    }

    /// <summary>Seals the final chunk and writes the armor footer; the stream accepts no more data.</summary>
    public async ValueTask FinishAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfUnusable();
        await SealAsync(last: true, useAsync: true, cancellationToken).ConfigureAwait(false);
        _finished = true;
        if (!ReferenceEquals(_sink, _output))
            await _sink.DisposeAsync().ConfigureAwait(false);
        await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask SealAsync(bool last, bool useAsync, CancellationToken cancellationToken)
    {
        if (_pendingPrefix is { } prefix)
        {
            _pendingPrefix = null;
            if (useAsync)
                await _sink.WriteAsync(prefix, cancellationToken).ConfigureAwait(false);
            else
                _sink.Write(prefix);
        }
        StreamNonce.Write(_nonce, _counter, last);
        _aead.Encrypt(_nonce, _plain.AsSpan(0, _plainCount), _cipher.AsSpan(0, _plainCount), _cipher.AsSpan(_plainCount, AgeFormat.TagSize));
        var sealedLength = _plainCount + AgeFormat.TagSize;
        _plainCount = 0;
        _counter++;
        if (useAsync)
            await _sink.WriteAsync(_cipher.AsMemory(0, sealedLength), cancellationToken).ConfigureAwait(false);
        else
            _sink.Write(_cipher, 0, sealedLength);
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_finished)
            throw new InvalidOperationException("the age stream is already finished");
    }

    protected override void Dispose(bool disposing)
    {
        if (_disposed)
            return;
        try
        {
            if (disposing && !_finished)
                Finish();
        }
        finally
        {
            Release();
            if (disposing && !_leaveOpen)
                _output.Dispose();
            base.Dispose(disposing);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        try
        {
            if (!_finished)
                await FinishAsync().ConfigureAwait(false);
        }
        finally
        {
            Release();
            if (!_leaveOpen)
                await _output.DisposeAsync().ConfigureAwait(false);
            GC.SuppressFinalize(this);
        }
    }

    private void Release()
    {
        _disposed = true;
        _aead.Dispose();
        CryptographicOperations.ZeroMemory(_plain);
        ArrayPool<byte>.Shared.Return(_plain);
        if (_spare is not null)
        {
            CryptographicOperations.ZeroMemory(_spare);
            ArrayPool<byte>.Shared.Return(_spare);
        }
        ArrayPool<byte>.Shared.Return(_cipher);
    }

}
