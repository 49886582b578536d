using PkiVault.Age;

namespace PkiVault.Tests.Age;

/// <summary>The synchronous fast paths the CLI uses: read straight into the chunk buffer, write straight out.</summary>
public class SyncPathTests
{
    private const int Chunk = 64 * 1024;
    private static readonly X25519Identity Alice = X25519Identity.Generate();

    /// <summary>Returns at most a few bytes per read, to exercise partial chunk fills.</summary>
    private sealed class TrickleStream(byte[] data, int step) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, step));
    }

    [Theory]
    [InlineData(0, 1000)]
    [InlineData(1, 1000)]
    [InlineData(Chunk, 7000)]
    [InlineData(Chunk, Chunk)]
    [InlineData(Chunk + 1, 1 << 20)]
    [InlineData(3 * Chunk, 4096)]
    [InlineData(3 * Chunk + 9, 65535)]
    public void Encrypt_and_decrypt_sync_match_the_stream_api(int size, int step)
    {
        var plain = AgeTestKit.RandomBytes(size, size ^ step);
        var encrypted = new MemoryStream();
        AgeEncryptor.Encrypt(new TrickleStream(plain, step), encrypted, [Alice.Recipient], armor: false, CancellationToken.None);
        var bytes = encrypted.ToArray();
        var chunks = Math.Max(1, (size + Chunk - 1) / Chunk);
        Assert.Equal(AgeTestKit.HeaderLength(bytes) + 16 + size + 16 * chunks, bytes.Length);

        var decrypted = new MemoryStream();
        AgeEncryptor.Decrypt(new MemoryStream(bytes), decrypted, [Alice]);
        Assert.Equal(plain, decrypted.ToArray());
        Assert.Equal(plain, AgeTestKit.Decrypt(bytes, Alice));
    }

    [Fact]
    public async Task Async_copy_delivers_the_same_bytes()
    {
        var plain = AgeTestKit.RandomBytes(2 * Chunk + 3, 9);
        var bytes = AgeTestKit.Encrypt(plain, [Alice.Recipient], armor: true);
        Assert.Equal(plain, await AgeTestKit.DecryptAsync(bytes, Alice));
    }

    [Fact]
    public void Cancellation_is_observed_between_chunks()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() =>
            AgeEncryptor.Encrypt(new MemoryStream(new byte[3 * Chunk]), new MemoryStream(), [Alice.Recipient], false, cts.Token));
    }
}
