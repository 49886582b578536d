using Etcdserverpb;

namespace EtcdDr.Etcd;

/// <summary>
/// One SnapshotResponse read in place: the blob is a slice of the frame buffer, not a copy. The
/// snapshot stream is the one hot path in the tool (a 1 GiB db is 32768 messages), and the
/// generated parser would copy every blob into a fresh ByteString. Field numbers are those of
/// etcd's rpc.proto (and Protos/etcd.proto): 1 header, 2 remaining_bytes, 3 blob, 4 version.
/// </summary>
public readonly record struct SnapshotChunk(ReadOnlyMemory<byte> Blob, ulong RemainingBytes, ResponseHeader? Header)
{
    public static SnapshotChunk Parse(ReadOnlyMemory<byte> message)
    {
        var span = message.Span;
        var pos = 0;
        ReadOnlyMemory<byte> blob = default;
        ulong remaining = 0;
        ResponseHeader? header = null;
        while (pos < span.Length)
        {
            var tag = ReadVarint(span, ref pos);
            var field = tag >> 3;
            var wireType = (int)(tag & 7);
            switch (wireType)
            {
                case 0:
                    var value = ReadVarint(span, ref pos);
                    if (field == 2)
                        remaining = value;
                    break;
                case 2:
                    // Compared as ulong: a corrupt length above int.MaxValue must not overflow into an OverflowException.
                    var rawLength = ReadVarint(span, ref pos);
                    if (rawLength > (ulong)(span.Length - pos))
                        throw new FormatException("SnapshotResponse: length runs past the message");
                    var length = (int)rawLength;
                    if (field == 3)
                        blob = message.Slice(pos, length);
                    else if (field == 1)
                        header = ParseHeader(span.Slice(pos, length));
                    pos += length;
                    break;
                case 1:
                    pos += 8;
                    break;
                case 5:
                    pos += 4;
                    break;
                // pos past the end is caught by the length check after the loop.
                default:
                    throw new FormatException($"SnapshotResponse: unsupported wire type {wireType}");
            }
        }
        if (pos != span.Length)
            throw new FormatException("SnapshotResponse: truncated field");
        return new SnapshotChunk(blob, remaining, header);
    }

    /// <summary>Every malformation is a FormatException, so the caller has one thing to catch.</summary>
    private static ResponseHeader ParseHeader(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return ResponseHeader.Parser.ParseFrom(bytes);
        }
        catch (Google.Protobuf.InvalidProtocolBufferException ex)
        {
            throw new FormatException($"SnapshotResponse: malformed header ({ex.Message})", ex);
        }
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> span, ref int pos)
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (pos >= span.Length)
                throw new FormatException("SnapshotResponse: truncated varint");
            var b = span[pos++];
            result |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
                return result;
        }
        throw new FormatException("SnapshotResponse: varint longer than 10 bytes");
    }
}
