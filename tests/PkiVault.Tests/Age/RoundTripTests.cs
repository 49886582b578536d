using PkiVault.Age;

namespace PkiVault.Tests.Age;

public class RoundTripTests
{
    private const int Chunk = 64 * 1024;
    private static readonly X25519Identity Alice = X25519Identity.Generate();
    private static readonly X25519Identity Bob = X25519Identity.Generate();

    public static TheoryData<int> Sizes => new() { 0, 1, 15, 16, 17, Chunk - 1, Chunk, Chunk + 1, 2 * Chunk, 2 * Chunk + 1, 3 * 1024 * 1024 + 7 };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Binary_round_trip_preserves_every_byte(int size)
    {
        var plain = AgeTestKit.RandomBytes(size, size);
        var file = AgeTestKit.Encrypt(plain, [Alice.Recipient]);
        Assert.Equal(plain, AgeTestKit.Decrypt(file, Alice));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Armored_round_trip_preserves_every_byte(int size)
    {
        var plain = AgeTestKit.RandomBytes(size, size + 1);
        var file = AgeTestKit.Encrypt(plain, [Alice.Recipient], armor: true);
        Assert.Equal(plain, await AgeTestKit.DecryptAsync(file, Alice));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(Chunk, 1)]
    [InlineData(Chunk + 1, 2)]
    [InlineData(2 * Chunk, 2)]
    [InlineData(2 * Chunk + 5, 3)]
    public void Payload_has_the_expected_chunk_layout(int size, int chunks)
    {
        var file = AgeTestKit.Encrypt(new byte[size], [Alice.Recipient]);
        var payload = file.Length - AgeTestKit.HeaderLength(file) - 16;
        // Every chunk carries a 16-byte tag; an empty payload is still one (empty) final chunk.
        Assert.Equal(size + 16 * Math.Max(chunks, 1), payload);
    }

    [Fact]
    public void Several_recipients_can_each_decrypt()
    {
        var plain = AgeTestKit.RandomBytes(100_000, 7);
        var file = AgeTestKit.Encrypt(plain, [Alice.Recipient, Bob.Recipient]);
        Assert.Equal(plain, AgeTestKit.Decrypt(file, Alice));
        Assert.Equal(plain, AgeTestKit.Decrypt(file, Bob));
        Assert.Equal(plain, AgeTestKit.Decrypt(file, X25519Identity.Generate(), Bob));
        var header = System.Text.Encoding.ASCII.GetString(file, 0, AgeTestKit.HeaderLength(file));
        Assert.Equal(2, header.Split("-> X25519 ").Length - 1);
    }

    [Fact]
    public void Wrong_identity_is_a_clear_error()
    {
        var file = AgeTestKit.Encrypt([1, 2, 3], [Alice.Recipient]);
        var ex = Assert.Throws<AgeException>(() => AgeTestKit.Decrypt(file, Bob));
        Assert.Equal(AgeErrorKind.NoMatchingIdentity, ex.Kind);
        Assert.Contains("wrong identity", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Writer_accepts_odd_sized_async_writes()
    {
        var plain = AgeTestKit.RandomBytes(3 * Chunk + 123, 3);
        var output = new MemoryStream();
        await using (var writer = AgeWriter.Create(output, [Alice.Recipient], leaveOpen: true))
        {
            var offset = 0;
            var step = 1;
            while (offset < plain.Length)
            {
                var n = Math.Min(step, plain.Length - offset);
                await writer.WriteAsync(plain.AsMemory(offset, n));
                offset += n;
                step = step * 3 + 1;
            }
        }
        Assert.Equal(plain, AgeTestKit.Decrypt(output.ToArray(), Alice));
    }

    [Fact]
    public void Reader_serves_small_reads()
    {
        var plain = AgeTestKit.RandomBytes(Chunk + 100, 5);
        var file = AgeTestKit.Encrypt(plain, [Alice.Recipient]);
        using var reader = AgeReader.Open(new MemoryStream(file), [Alice]);
        var result = new List<byte>();
        var buffer = new byte[7];
        int n;
        while ((n = reader.Read(buffer, 0, buffer.Length)) > 0)
            result.AddRange(buffer.AsSpan(0, n).ToArray());
        Assert.Equal(plain, result.ToArray());
    }

    [Fact]
    public void Aborted_writer_leaves_no_final_chunk()
    {
        var output = new MemoryStream();
        using (var writer = AgeWriter.Create(output, [Alice.Recipient], leaveOpen: true))
        {
            writer.Write(new byte[Chunk + 10]);
            writer.Abort();
        }
        var ex = Assert.Throws<AgeException>(() => AgeTestKit.Decrypt(output.ToArray(), Alice));
        Assert.Equal(AgeErrorKind.Truncated, ex.Kind);
    }

    [Fact]
    public void No_recipients_or_identities_is_a_usage_error()
    {
        Assert.Equal(AgeErrorKind.InvalidUsage, Assert.Throws<AgeException>(() => AgeWriter.Create(new MemoryStream(), [])).Kind);
        Assert.Equal(AgeErrorKind.InvalidUsage, Assert.Throws<AgeException>(() => AgeReader.Open(new MemoryStream(), [])).Kind);
    }

    [Fact]
    public void Each_file_uses_a_fresh_file_key_and_nonce()
    {
        var a = AgeTestKit.Encrypt(new byte[100], [Alice.Recipient]);
        var b = AgeTestKit.Encrypt(new byte[100], [Alice.Recipient]);
        Assert.NotEqual(a, b);
        Assert.NotEqual(a[^116..], b[^116..]);
    }
}
