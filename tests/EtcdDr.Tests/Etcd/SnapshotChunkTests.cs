using EtcdDr.Etcd;
using Etcdserverpb;
using Google.Protobuf;

namespace EtcdDr.Tests.Etcd;

/// <summary>The hand-written parse must agree with the generated serializer on every field.</summary>
public class SnapshotChunkTests
{
    [Fact]
    public void Agrees_with_the_generated_serializer()
    {
        var blob = Enumerable.Range(0, 40_000).Select(i => (byte)i).ToArray();
        var message = new SnapshotResponse
        {
            Header = new ResponseHeader { ClusterId = 7, MemberId = 9, Revision = 1234, RaftTerm = 5 },
            RemainingBytes = 1UL << 40,
            Blob = ByteString.CopyFrom(blob),
            Version = "3.6.0",
        };
        var chunk = SnapshotChunk.Parse(message.ToByteArray());
        Assert.Equal(blob, chunk.Blob.ToArray());
        Assert.Equal(1UL << 40, chunk.RemainingBytes);
        Assert.Equal(1234, chunk.Header!.Revision);
    }

    [Fact]
    public void Last_message_has_only_a_blob()
    {
        var chunk = SnapshotChunk.Parse(new SnapshotResponse { Blob = ByteString.CopyFrom(new byte[32]) }.ToByteArray());
        Assert.Equal(32, chunk.Blob.Length);
        Assert.Equal(0ul, chunk.RemainingBytes);
        Assert.Null(chunk.Header);
    }

    [Fact]
    public void Truncated_message_is_refused()
    {
        var bytes = new SnapshotResponse { Blob = ByteString.CopyFrom(new byte[100]) }.ToByteArray();
        Assert.Throws<FormatException>(() => SnapshotChunk.Parse(bytes[..50]));
    }
}
