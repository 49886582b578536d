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

    /// <summary>Largest message we accept; etcd's default max send size is 2 GiB but its snapshot
    /// chunks are 32 KiB and its other answers are small. Guards against a corrupt length.</summary>
    public const int MaxMessageSize = 64 * 1024 * 1024;

    public static byte[] Frame(ReadOnlySpan<byte> message)
    {
        var framed = new byte[HeaderSize + message.Length];
        framed[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), (uint)message.Length);
        message.CopyTo(framed.AsSpan(HeaderSize));
        return framed;
    }

    /// <summary>
    /// Reads the next message into a pooled buffer. Returns null at a clean end of stream (no bytes
    /// of a next frame); throws on an end of stream inside a frame. The caller returns the buffer.
    /// </summary>
    public static async ValueTask<RentedMessage?> ReadAsync(Stream stream, string endpoint, CancellationToken ct)
    {
        var header = new byte[HeaderSize];
        var got = await ReadAtLeastAsync(stream, header, ct).ConfigureAwait(false);
        if (got == 0)
            return null;
        if (got < HeaderSize)
            throw new GrpcException(GrpcStatusCode.Internal, "stream ended inside a gRPC frame header", endpoint);
        if (header[0] != 0)
            throw new GrpcException(GrpcStatusCode.Internal, "server sent a compressed message we did not ask for", endpoint);
        var length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1));
        if (length > MaxMessageSize)
            throw new GrpcException(GrpcStatusCode.ResourceExhausted, $"gRPC message of {length} bytes exceeds the {MaxMessageSize} byte limit", endpoint);
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Max(length, 1));
        var body = await ReadAtLeastAsync(stream, buffer.AsMemory(0, (int)length), ct).ConfigureAwait(false);
        if (body < length)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw new GrpcException(GrpcStatusCode.Unavailable, $"stream ended after {body} of {length} bytes of a message", endpoint);
        }
        return new RentedMessage(buffer, (int)length);
    }

    private static async ValueTask<int> ReadAtLeastAsync(Stream stream, Memory<byte> into, CancellationToken ct) =>
        await stream.ReadAtLeastAsync(into, into.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
}

/// <summary>A message body in a buffer from the shared pool; dispose to give the buffer back.</summary>
internal sealed class RentedMessage(byte[] buffer, int length) : IDisposable
{
    private byte[]? _buffer = buffer;

    public ReadOnlySpan<byte> Span => (_buffer ?? throw new ObjectDisposedException(nameof(RentedMessage))).AsSpan(0, length);

    public void Dispose()
    {
        if (_buffer is { } b)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(b);
        }
    }
}
