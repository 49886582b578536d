using PkiVault.IO;

namespace PkiVault.Tests.IO;

/// <summary>The hand-over to a writer thread must keep every byte, in order, and never hide a failed write.</summary>
public sealed class BackgroundWriteStreamTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4095)]
    [InlineData(4096)]
    [InlineData(4097)]
    [InlineData(100_003)]
    public void Everything_written_reaches_the_inner_stream_in_order_after_flush(int size)
    {
        var data = new byte[size];
        new Random(size).NextBytes(data);
        var inner = new MemoryStream();
        using (var sink = new BackgroundWriteStream(inner, bufferSize: 4096, depth: 2))
        {
            // Uneven pieces, so buffer boundaries fall inside writes.
            for (var offset = 0; offset < size;)
            {
                var n = Math.Min(size - offset, 1 + (offset % 7000));
                sink.Write(data, offset, n);
                offset += n;
            }
            sink.Flush();
            Assert.Equal(data, inner.ToArray());
        }
    }

    [Fact]
    public void A_failing_inner_stream_surfaces_on_a_later_write_or_on_flush()
    {
        var inner = new FailingStream(failAfter: 8192);
        using var sink = new BackgroundWriteStream(inner, bufferSize: 4096, depth: 2);
        var ex = Assert.Throws<IOException>(() =>
        {
            for (var i = 0; i < 100; i++)
                sink.Write(new byte[4096]);
            sink.Flush();
        });
        Assert.Equal("disk full", ex.Message);
        Assert.Throws<IOException>(sink.Flush);
    }

    [Fact]
    public void Disposing_without_flush_writes_what_is_pending_and_leaves_the_inner_stream_open()
    {
        var inner = new MemoryStream();
        var sink = new BackgroundWriteStream(inner, bufferSize: 4096, depth: 2);
        sink.Write(new byte[5000]);
        sink.Dispose();
        Assert.True(inner.CanWrite);
        Assert.Equal(5000, inner.Length);
        Assert.Throws<ObjectDisposedException>(() => sink.Write(new byte[1]));
    }

    private sealed class FailingStream(long failAfter) : MemoryStream
    {
        public override void Write(byte[] buffer, int offset, int count)
        {
            if (Length + count > failAfter)
                throw new IOException("disk full");
            base.Write(buffer, offset, count);
        }
    }
}
