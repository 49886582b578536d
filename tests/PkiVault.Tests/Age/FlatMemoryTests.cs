using PkiVault.Age;

namespace PkiVault.Tests.Age;

/// <summary>Streaming means memory does not grow with the input: allocations stay flat per file.</summary>
public class FlatMemoryTests
{
    private static readonly X25519Identity Alice = X25519Identity.Generate();

    /// <summary>An endless-ish source of zeros that allocates nothing itself.</summary>
    private sealed class ZeroStream(long length) : Stream
    {
        private long _left = length;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, _left);
            Array.Clear(buffer, offset, n);
            _left -= n;
            return n;
        }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Discards what is written, remembering only the last bytes (to re-read the file later).</summary>
    private sealed class CountingSink : Stream
    {
        public long Count { get; private set; }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Count;
        public override long Position { get => Count; set => throw new NotSupportedException(); }
        public override void Write(byte[] buffer, int offset, int count) => Count += count;
        public override void Write(ReadOnlySpan<byte> buffer) => Count += buffer.Length;
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    private static long AllocatedWhileEncrypting(long size)
    {
        var sink = new CountingSink();
        var before = GC.GetAllocatedBytesForCurrentThread();
        AgeEncryptor.Encrypt(new ZeroStream(size), sink, [Alice.Recipient], armor: false, CancellationToken.None);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(size + 16 * Math.Max(1, (size + 65535) / 65536), sink.Count - 16 - HeaderSize());
        return allocated;
    }

    private static long HeaderSize() => AgeTestKit.HeaderLength(AgeTestKit.Encrypt([], [Alice.Recipient]));

    [Fact]
    public void Encrypting_64_MiB_allocates_about_as_much_as_encrypting_1_MiB()
    {
        AllocatedWhileEncrypting(1 << 20); // warm-up: pool buffers, JIT
        var small = AllocatedWhileEncrypting(1 << 20);
        var large = AllocatedWhileEncrypting(64 << 20);
        Assert.True(large < small + 256 * 1024, $"1 MiB allocated {small} bytes, 64 MiB allocated {large} bytes");
    }

    [Fact]
    public void Decrypting_allocates_a_bounded_amount_whatever_the_size()
    {
        long Measure(int size)
        {
            var file = AgeTestKit.Encrypt(new byte[size], [Alice.Recipient]);
            var sink = new CountingSink();
            var before = GC.GetAllocatedBytesForCurrentThread();
            AgeEncryptor.Decrypt(new MemoryStream(file), sink, [Alice]);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(size, sink.Count);
            return allocated;
        }
        Measure(1 << 20);
        var small = Measure(1 << 20);
        var large = Measure(32 << 20);
        Assert.True(large < small + 256 * 1024, $"1 MiB allocated {small} bytes, 32 MiB allocated {large} bytes");
    }
}
