using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace EtcdDr.Snapshots;

/// <summary>
/// Passes writes through to an inner stream while hashing and counting them, so the manifest's
/// file SHA-256 costs no second read of the file.
/// </summary>
/// <param name="hash">False to only count: a caller that already hashes the same bytes elsewhere
/// (a plain snapshot's trailer check) saves a second SHA-256 pass.</param>
public sealed class HashingWriteStream(Stream inner, bool leaveOpen = false, bool hash = true) : PkiVault.IO.WriteOnlyStream
{
    private readonly IncrementalHash? _hash = hash ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;

    public long BytesWritten { get; private set; }

    public string Sha256Hex() => _hash is null
        ? throw new InvalidOperationException("this stream was created with hash: false")
        : Convert.ToHexStringLower(_hash.GetCurrentHash());

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        inner.Write(buffer);
        _hash?.AppendData(buffer);
        BytesWritten += buffer.Length;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        _hash?.AppendData(buffer.Span);
        BytesWritten += buffer.Length;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override long Length => BytesWritten;
    public override long Position { get => BytesWritten; set => throw new NotSupportedException(); }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash?.Dispose();
            if (!leaveOpen)
                inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
