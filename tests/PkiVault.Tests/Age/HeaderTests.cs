using System.Text;
using PkiVault.Age;

namespace PkiVault.Tests.Age;

public class HeaderTests
{
    private static readonly X25519Identity Alice = X25519Identity.Generate();

    private static AgeException Parse(string header) =>
        Assert.Throws<AgeException>(() => AgeReader.Open(new MemoryStream(Encoding.ASCII.GetBytes(header)), [Alice]));

    [Theory]
    [InlineData(0, "\n")] // empty body: an empty final line
    [InlineData(1, "AA\n")]
    [InlineData(47, null)]
    [InlineData(48, "\n")] // 64 columns exactly: must be followed by an empty line
    [InlineData(49, null)]
    [InlineData(96, "\n")]
    public void Stanza_bodies_wrap_at_64_columns_and_end_with_a_short_line(int bodyLength, string? expectedEnding)
    {
        var header = Encoding.ASCII.GetString(AgeHeader.Encode([new Stanza(["test", "a"], new byte[bodyLength])], new byte[16]));
        var lines = header.Split('\n');
        var bodyLines = lines.Skip(2).TakeWhile(l => !l.StartsWith("---", StringComparison.Ordinal)).ToList();
        Assert.All(bodyLines.SkipLast(1), l => Assert.Equal(64, l.Length));
        Assert.True(bodyLines[^1].Length < 64);
        if (expectedEnding is not null)
            Assert.EndsWith(expectedEnding, string.Join('\n', bodyLines) + "\n", StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_stanzas_are_ignored_by_identities()
    {
        // A file for Alice plus a stanza of an unknown type still opens.
        var fileKey = new byte[16];
        var stanzas = new List<Stanza> { new(["example.com/enigma", "x"], new byte[50]) };
        stanzas.AddRange(Alice.Recipient.Wrap(fileKey));
        var header = AgeHeader.Encode(stanzas, fileKey);
        var nonce = new byte[16];
        using var aead = new System.Security.Cryptography.ChaCha20Poly1305(AgeCrypto.Hkdf(fileKey, nonce, "payload"));
        var n = new byte[12];
        StreamNonce.Write(n, 0, last: true);
        var chunk = new byte[19];
        aead.Encrypt(n, "abc"u8, chunk.AsSpan(0, 3), chunk.AsSpan(3));
        Assert.Equal("abc"u8.ToArray(), AgeTestKit.Decrypt([.. header, .. nonce, .. chunk], Alice));
    }

    [Theory]
    [InlineData("age-encryption.org/v1\n--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", "no recipient stanza")]
    [InlineData("age-encryption.org/v1\n-> X25519  x\n\n--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", "empty argument")]
    [InlineData("age-encryption.org/v1\n->X25519 x\n\n--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", "expected a stanza")]
    [InlineData("age-encryption.org/v1\n-> a\nAA==\n--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", "outside base64")]
    [InlineData("age-encryption.org/v1\n-> a\nAB\n--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", "canonical")]
    [InlineData("age-encryption.org/v1\n-> a\n\n--- AAAA\n", "MAC line")]
    [InlineData("age-encryption.org/v1\n-> a\n\n---AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", "MAC line")]
    [InlineData("age-encryption.org/v1\n-> X25519\n\n--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", "exactly one argument")]
    [InlineData("age-encryption.org/v1\n-> X25519 AAAA\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", "ephemeral share")]
    [InlineData("age-encryption.org/v1\n-> X25519 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\nAAAA\n--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", "not 32 bytes")]
    public void Malformed_headers_are_rejected_with_a_reason(string header, string reason)
    {
        var ex = Parse(header);
        Assert.Equal(AgeErrorKind.MalformedHeader, ex.Kind);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Body_line_longer_than_64_columns_is_rejected()
    {
        var ex = Parse("age-encryption.org/v1\n-> a\n" + new string('A', 68) + "\n\n--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n");
        Assert.Contains("64 columns", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void All_zero_shared_secret_is_rejected()
    {
        // The identity point 0 is a low-order point: X25519 with it yields all zeros.
        var zeroShare = AgeBase64.Encode(new byte[32]);
        var ex = Parse($"age-encryption.org/v1\n-> X25519 {zeroShare}\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n");
        Assert.Contains("all-zero", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encrypting_to_a_low_order_recipient_is_refused()
    {
        var zero = X25519Recipient.Parse(Bech32.Encode("age", new byte[32]));
        Assert.Throws<AgeException>(() => zero.Wrap(new byte[16]));
    }

    [Fact]
    public void Header_cut_inside_is_truncated()
    {
        Assert.Equal(AgeErrorKind.Truncated, Parse("age-encryption.org/v1\n-> a\n").Kind);
    }
}

/// <summary>
/// Issue 10: the header grammar on bytes, against the spec (age-encryption.org/v1) and the
/// reference parser: a stanza argument is visible ASCII only, even in a file whose MAC is right.
/// </summary>
public class HeaderGrammarTests
{
    private static readonly X25519Identity Alice = X25519Identity.Generate();

    /// <summary>A complete file for Alice with an extra stanza line given as raw bytes, and a correct header MAC.</summary>
    internal static byte[] FileWithExtraStanza(byte[] stanzaLine, X25519Identity identity)
    {
        var fileKey = new byte[16];
        var valid = AgeHeader.Encode(identity.Recipient.Wrap(fileKey).ToList(), fileKey);
        var text = Encoding.ASCII.GetString(valid);
        var versionEnd = text.IndexOf('\n') + 1;
        var macStart = text.IndexOf("\n---", StringComparison.Ordinal) + 1;
        byte[] upToMac = [.. valid[..versionEnd], .. stanzaLine, .. "\n\n"u8, .. valid[versionEnd..macStart], .. "---"u8];
        using var hmac = new System.Security.Cryptography.HMACSHA256(AgeCrypto.Hkdf(fileKey, [], "header"));
        var mac = hmac.ComputeHash(upToMac);
        byte[] header = [.. upToMac, .. Encoding.ASCII.GetBytes(" " + AgeBase64.Encode(mac) + "\n")];
        var nonce = new byte[16];
        using var aead = new System.Security.Cryptography.ChaCha20Poly1305(AgeCrypto.Hkdf(fileKey, nonce, "payload"));
        var n = new byte[12];
        StreamNonce.Write(n, 0, last: true);
        var chunk = new byte[19];
        aead.Encrypt(n, "abc"u8, chunk.AsSpan(0, 3), chunk.AsSpan(3));
        return [.. header, .. nonce, .. chunk];
    }

    [Fact]
    public void The_file_builder_makes_a_file_that_opens_with_a_visible_ascii_grease_stanza() =>
        Assert.Equal("abc"u8.ToArray(), AgeTestKit.Decrypt(FileWithExtraStanza("-> grease-x !~{}"u8.ToArray(), Alice), Alice));

    [Theory]
    [InlineData(0x80)]
    [InlineData(0xc3)] // the first byte of UTF-8 'é'
    [InlineData(0xff)]
    [InlineData(0x7f)]
    [InlineData(0x09)]
    public void A_stanza_argument_byte_outside_visible_ascii_is_malformed_even_with_a_good_mac(int bad)
    {
        byte[] line = [.. "-> grease a"u8, (byte)bad, .. "b"u8];
        var ex = Assert.Throws<AgeException>(() => AgeTestKit.Decrypt(FileWithExtraStanza(line, Alice), Alice));
        Assert.Equal(AgeErrorKind.MalformedHeader, ex.Kind);
        Assert.Contains($"0x{bad:x2}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_non_ascii_version_suffix_is_malformed_not_a_future_version()
    {
        var file = FileWithExtraStanza("-> grease"u8.ToArray(), Alice);
        file["age-encryption.org/v".Length] = 0xff;
        Assert.Equal(AgeErrorKind.MalformedHeader, Assert.Throws<AgeException>(() => AgeTestKit.Decrypt(file, Alice)).Kind);
    }
}
