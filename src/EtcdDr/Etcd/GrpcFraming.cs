using System.Runtime.CompilerServices;
using System.Buffers;
using System.Buffers.Binary;

namespace EtcdDr.Etcd;

/// <summary>
/// gRPC's length-prefixed message framing: one byte compressed-flag (we never compress and refuse
/// compressed input, since we never advertise grpc-accept-encoding), four bytes big-endian length,
/// then the message.
/// </summary>
internal static class GrpcFraming
{
    public const int HeaderSize = 5;

    /// <summary>Largest message we accept; etcd's snapshot chunks are 32 KiB and its other answers
    /// small. Guards against a corrupt length asking for gigabytes.</summary>
    public const int MaxMessageSize = 64 * 1024 * 1024;

    public static byte[] Frame(ReadOnlySpan<byte> message)
    {
        var framed = new byte[HeaderSize + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), (uint)message.Length);
        message.CopyTo(framed.AsSpan(HeaderSize));
        return framed;
    }
}

/// <summary>
/// Reads framed messages from a response body into one reused buffer, so a stream of 32 KiB snapshot
/// chunks allocates nothing per message. A returned message is valid until the next read.
/// </summary>
internal sealed class GrpcMessageReader(Stream body, string endpoint) : IDisposable
{
    private readonly byte[] _header = new byte[GrpcFraming.HeaderSize];
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);

    /// <summary>The next message, or null at a clean end of stream (no byte of a next frame).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ReadOnlyMemory<byte>?> ReadAsync(CancellationToken ct)
    {
        var got = await FillAsync(_header, ct).ConfigureAwait(false);
        if (got == 0)
            return null;
        if (got < GrpcFraming.HeaderSize)
            throw new GrpcException(GrpcStatusCode.Internal, "stream ended inside a gRPC frame header", endpoint);
        if (_header[0] != 0)
            throw new GrpcException(GrpcStatusCode.DataLoss, "malformed gRPC frame: compressed flag set, and we never ask for compression", endpoint);
        var length = BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(1));
        if (length > GrpcFraming.MaxMessageSize)
            // No etcd reply comes near this: it is a corrupt length, not a big message.
            throw new GrpcException(GrpcStatusCode.DataLoss, $"malformed gRPC frame: a length of {length} bytes exceeds the {GrpcFraming.MaxMessageSize} byte limit", endpoint);
        if (length > _buffer.Length)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent((int)length);
        }
        var message = _buffer.AsMemory(0, (int)length);
        var read = await FillAsync(message, ct).ConfigureAwait(false);
        if (read < length)
            throw new GrpcException(GrpcStatusCode.Unavailable, $"stream ended after {read} of {length} bytes of a message", endpoint);
        return message;
    }

    /// <summary>Reads until <paramref name="into"/> is full or the stream ends; returns the count.
    /// Stream.ReadAtLeastAsync does the same but allocates a state machine per call that completes
    /// asynchronously, twice per snapshot message; this one is pooled.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> FillAsync(Memory<byte> into, CancellationToken ct)
    {
        var total = 0;
        while (total < into.Length)
        {
            var n = await body.ReadAsync(into[total..], ct).ConfigureAwait(false);
            if (n == 0)
                break;
            total += n;
        }
        return total;
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0)
            ArrayPool<byte>.Shared.Return(buffer);
    }
}
