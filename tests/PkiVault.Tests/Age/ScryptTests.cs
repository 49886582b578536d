using PkiVault.Age;

namespace PkiVault.Tests.Age;

public class ScryptTests
{
    // Low work factors keep the tests fast; the format is the same at 18.
    [Fact]
    public void Passphrase_round_trip()
    {
        var plain = AgeTestKit.RandomBytes(70_000, 1);
        var file = AgeTestKit.Encrypt(plain, [new ScryptRecipient("correct horse", workFactor: 10)]);
        Assert.Equal(plain, AgeTestKit.Decrypt(file, new ScryptIdentity("correct horse")));
        var header = System.Text.Encoding.ASCII.GetString(file, 0, AgeTestKit.HeaderLength(file));
        Assert.Matches(@"^age-encryption\.org/v1\n-> scrypt [A-Za-z0-9+/]{22} 10\n", header);
    }

    [Fact]
    public void Wrong_passphrase_is_a_clear_error()
    {
        var file = AgeTestKit.Encrypt([1], [new ScryptRecipient("right", workFactor: 10)]);
        var ex = Assert.Throws<AgeException>(() => AgeTestKit.Decrypt(file, new ScryptIdentity("wrong")));
        Assert.Equal(AgeErrorKind.NoMatchingIdentity, ex.Kind);
        Assert.Contains("wrong passphrase", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Passphrase_file_opened_with_a_key_says_so()
    {
        var file = AgeTestKit.Encrypt([1], [new ScryptRecipient("pw", workFactor: 10)]);
        var ex = Assert.Throws<AgeException>(() => AgeTestKit.Decrypt(file, X25519Identity.Generate()));
        Assert.Contains("passphrase", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Work_factor_above_the_ceiling_is_refused_before_any_scrypt_work()
    {
        var file = AgeTestKit.Encrypt([1], [new ScryptRecipient("pw", workFactor: 12)]);
        var ex = Assert.Throws<AgeException>(() => AgeTestKit.Decrypt(file, new ScryptIdentity("pw", maxWorkFactor: 11)));
        Assert.Equal(AgeErrorKind.WorkFactorTooHigh, ex.Kind);
        Assert.Contains("2^12", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Absurd_work_factor_in_a_crafted_header_is_refused_quickly()
    {
        var file = AgeTestKit.Encrypt([1], [new ScryptRecipient("pw", workFactor: 10)]);
        var text = System.Text.Encoding.Latin1.GetString(file);
        var crafted = System.Text.Encoding.Latin1.GetBytes(text.Replace(" 10\n", " 60\n", StringComparison.Ordinal));
        var started = System.Diagnostics.Stopwatch.StartNew();
        var ex = Assert.Throws<AgeException>(() => AgeTestKit.Decrypt(crafted, new ScryptIdentity("pw")));
        Assert.Equal(AgeErrorKind.WorkFactorTooHigh, ex.Kind);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(2));
    }

    [Theory]
    [InlineData(" 10\n", " 010\n")]
    [InlineData(" 10\n", " 1a\n")]
    [InlineData(" 10\n", " 10 extra\n")]
    public void Malformed_work_factor_is_rejected(string from, string to)
    {
        var file = AgeTestKit.Encrypt([1], [new ScryptRecipient("pw", workFactor: 10)]);
        var text = System.Text.Encoding.Latin1.GetString(file);
        var crafted = System.Text.Encoding.Latin1.GetBytes(text.Replace(from, to, StringComparison.Ordinal));
        Assert.Equal(AgeErrorKind.MalformedHeader, Assert.Throws<AgeException>(() => AgeTestKit.Decrypt(crafted, new ScryptIdentity("pw"))).Kind);
    }

    [Fact]
    public void Scrypt_cannot_be_mixed_with_other_recipients_when_writing()
    {
        var ex = Assert.Throws<AgeException>(() => AgeWriter.Create(new MemoryStream(), [new ScryptRecipient("pw", 10), X25519Identity.Generate().Recipient]));
        Assert.Equal(AgeErrorKind.InvalidUsage, ex.Kind);
    }

    [Fact]
    public void Scrypt_stanza_next_to_another_stanza_is_rejected_when_reading()
    {
        // Build a header by hand: an scrypt stanza plus an X25519 stanza, both wrapping one key.
        var fileKey = new byte[16];
        var stanzas = new List<Stanza>();
        stanzas.AddRange(new ScryptRecipient("pw", 10).Wrap(fileKey));
        stanzas.AddRange(X25519Identity.Generate().Recipient.Wrap(fileKey));
        var header = AgeHeader.Encode(stanzas, fileKey);
        var ex = Assert.Throws<AgeException>(() => AgeReader.Open(new MemoryStream(header), [new ScryptIdentity("pw")]));
        Assert.Equal(AgeErrorKind.MalformedHeader, ex.Kind);
        Assert.Contains("only stanza", ex.Message, StringComparison.Ordinal);
    }
}
