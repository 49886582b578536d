using System.Text;
using PkiVault.Age;

namespace PkiVault.Tests.Age;

/// <summary>Flip a bit or cut the file in every region and expect a typed failure, never plaintext.</summary>
public class TamperTests
{
    private const int Chunk = 64 * 1024;
    private const int CipherChunk = Chunk + 16;
    private static readonly X25519Identity Alice = X25519Identity.Generate();
    private static readonly byte[] Plain = AgeTestKit.RandomBytes(2 * Chunk + 1000, 42);
    private static readonly byte[] File = AgeTestKit.Encrypt(Plain, [Alice.Recipient]);
    private static readonly int Header = AgeTestKit.HeaderLength(File);
    private static readonly int Payload = Header + 16;

    private static AgeException Fails(byte[] file) =>
        Assert.Throws<AgeException>(() => AgeTestKit.Decrypt(file, Alice));

    private static byte[] Flip(int offset, byte mask = 0x01)
    {
        var copy = (byte[])File.Clone();
        copy[offset] ^= mask;
        return copy;
    }

    [Fact]
    public void Untouched_file_decrypts()
    {
        Assert.Equal(Plain, AgeTestKit.Decrypt(File, Alice));
    }

    [Fact]
    public void Every_flip_in_the_header_fails_as_an_integrity_error()
    {
        for (var offset = 0; offset < Header; offset++)
        {
            var ex = Fails(Flip(offset));
            Assert.True(ex.IsIntegrityFailure, $"offset {offset}: {ex.Kind} {ex.Message}");
        }
    }

    [Fact]
    public void Flip_in_the_mac_is_a_mac_mismatch()
    {
        var macStart = Encoding.ASCII.GetString(File, 0, Header).IndexOf("--- ", StringComparison.Ordinal) + 4;
        // The first base64 characters of the MAC carry whole bits; swap one for another valid letter.
        var copy = (byte[])File.Clone();
        copy[macStart] = copy[macStart] == (byte)'A' ? (byte)'B' : (byte)'A';
        Assert.Equal(AgeErrorKind.HeaderMacMismatch, Fails(copy).Kind);
    }

    [Fact]
    public void Flip_in_a_stanza_argument_fails()
    {
        var text = Encoding.ASCII.GetString(File, 0, Header);
        var argStart = text.IndexOf("-> X25519 ", StringComparison.Ordinal) + 10;
        var copy = (byte[])File.Clone();
        copy[argStart + 5] = copy[argStart + 5] == (byte)'A' ? (byte)'B' : (byte)'A';
        var ex = Fails(copy);
        Assert.True(ex.Kind is AgeErrorKind.NoMatchingIdentity or AgeErrorKind.HeaderMacMismatch or AgeErrorKind.MalformedHeader, ex.Message);
    }

    [Fact]
    public void Flip_in_the_payload_nonce_fails_the_first_chunk()
    {
        Assert.Equal(AgeErrorKind.TamperedChunk, Fails(Flip(Header + 3)).Kind);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(0, Chunk - 1)]
    [InlineData(0, Chunk + 15)] // the tag of chunk 0
    [InlineData(1, 10)]
    [InlineData(2, 0)] // final chunk
    [InlineData(2, 999)]
    [InlineData(2, 1015)] // last byte of the final tag
    public void Flip_in_any_chunk_fails_that_chunk(int chunk, int offsetInChunk)
    {
        var ex = Fails(Flip(Payload + chunk * CipherChunk + offsetInChunk, 0x80));
        Assert.Equal(AgeErrorKind.TamperedChunk, ex.Kind);
        Assert.Contains($"chunk {chunk}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_plaintext_of_a_tampered_chunk_is_released()
    {
        // Chunk 0 is fine, chunk 1 is tampered: the reader must hand out exactly chunk 0, then throw.
        var tampered = Flip(Payload + CipherChunk + 5);
        using var reader = AgeReader.Open(new MemoryStream(tampered), [Alice]);
        var received = new MemoryStream();
        var buffer = new byte[1000];
        var ex = Assert.Throws<AgeException>(() =>
        {
            int n;
            while ((n = reader.Read(buffer, 0, buffer.Length)) > 0)
                received.Write(buffer, 0, n);
        });
        Assert.Equal(AgeErrorKind.TamperedChunk, ex.Kind);
        Assert.Equal(Chunk, received.Length);
        Assert.Equal(Plain.AsSpan(0, Chunk).ToArray(), received.ToArray());
    }

    [Fact]
    public void Truncation_at_every_interesting_point_fails()
    {
        int[] cuts = [0, 10, Header - 1, Header, Header + 8, Header + 16, Payload + 1, Payload + 15, Payload + CipherChunk - 1,
            Payload + CipherChunk, Payload + CipherChunk + 1, Payload + 2 * CipherChunk, File.Length - 1];
        foreach (var cut in cuts)
        {
            var ex = Fails(File[..cut]);
            Assert.True(ex.IsIntegrityFailure, $"cut at {cut}: {ex.Kind}");
        }
    }

    [Fact]
    public void Truncation_at_a_chunk_boundary_is_reported_as_truncation()
    {
        var ex = Fails(File[..(Payload + 2 * CipherChunk)]);
        Assert.Equal(AgeErrorKind.Truncated, ex.Kind);
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Header_without_payload_is_truncated()
    {
        Assert.Equal(AgeErrorKind.Truncated, Fails(File[..Payload]).Kind);
        Assert.Equal(AgeErrorKind.Truncated, Fails(File[..(Header + 5)]).Kind);
    }

    [Fact]
    public void Trailing_data_is_rejected()
    {
        var appended = File.Concat(new byte[] { 0 }).ToArray();
        Assert.True(Fails(appended).IsIntegrityFailure);

        // When the final chunk is full, appended bytes are recognised as trailing data.
        var full = AgeTestKit.Encrypt(new byte[Chunk], [Alice.Recipient]);
        var ex = Assert.Throws<AgeException>(() => AgeTestKit.Decrypt([.. full, 1, 2, 3], Alice));
        Assert.Equal(AgeErrorKind.TrailingData, ex.Kind);
    }

    [Fact]
    public void Empty_final_chunk_after_data_is_rejected()
    {
        // Hand-build a payload where a full chunk is followed by an empty final chunk.
        var fileKey = new byte[16];
        var header = AgeHeader.Encode(Alice.Recipient.Wrap(fileKey), fileKey);
        var nonce = new byte[16];
        var key = AgeCrypto.Hkdf(fileKey, nonce, "payload");
        using var aead = new System.Security.Cryptography.ChaCha20Poly1305(key);
        var n = new byte[12];
        var c0 = new byte[CipherChunk];
        StreamNonce.Write(n, 0, last: false);
        aead.Encrypt(n, new byte[Chunk], c0.AsSpan(0, Chunk), c0.AsSpan(Chunk));
        var c1 = new byte[16];
        StreamNonce.Write(n, 1, last: true);
        aead.Encrypt(n, ReadOnlySpan<byte>.Empty, Span<byte>.Empty, c1.AsSpan());
        var ex = Assert.Throws<AgeException>(() => AgeTestKit.Decrypt([.. header, .. nonce, .. c0, .. c1], Alice));
        Assert.Contains("final chunk is empty", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unsupported_version_is_named()
    {
        var text = Encoding.Latin1.GetString(File);
        var v2 = Encoding.Latin1.GetBytes("age-encryption.org/v2" + text["age-encryption.org/v1".Length..]);
        var ex = Fails(v2);
        Assert.Equal(AgeErrorKind.UnsupportedVersion, ex.Kind);
        Assert.Contains("'v2'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Crlf_header_is_malformed_not_a_new_version()
    {
        var text = Encoding.Latin1.GetString(File, 0, Header).Replace("\n", "\r\n", StringComparison.Ordinal);
        var crlf = Encoding.Latin1.GetBytes(text).Concat(File[Header..]).ToArray();
        Assert.Equal(AgeErrorKind.MalformedHeader, Fails(crlf).Kind);
    }

    [Fact]
    public void Not_an_age_file_is_malformed()
    {
        Assert.Equal(AgeErrorKind.MalformedHeader, Fails(Encoding.ASCII.GetBytes("hello world\n")).Kind);
        Assert.Equal(AgeErrorKind.Truncated, Fails([]).Kind);
    }
}
