using System.Buffers.Binary;

namespace PkiVault.Age;

/// <summary>STREAM nonce: an 11-byte big-endian chunk counter, then 0x01 on the final chunk.</summary>
internal static class StreamNonce
{
    public static void Write(Span<byte> nonce, ulong counter, bool last)
    {
        nonce[..3].Clear();
        BinaryPrimitives.WriteUInt64BigEndian(nonce.Slice(3, 8), counter);
        nonce[11] = last ? (byte)1 : (byte)0;
    }
}
