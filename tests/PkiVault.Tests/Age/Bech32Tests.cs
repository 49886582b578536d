using PkiVault.Age;

namespace PkiVault.Tests.Age;

public class Bech32Tests
{
    // The X25519 example key pair from the age specification (c2sp.org/age).
    private const string SpecIdentity = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";
    private const string SpecRecipient = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj";

    [Fact]
    public void Spec_identity_yields_spec_recipient()
    {
        var identity = X25519Identity.Parse(SpecIdentity);
        Assert.Equal(SpecRecipient, identity.Recipient.ToString());
        Assert.Equal(SpecIdentity, identity.ToString());
    }

    [Fact]
    public void Recipient_round_trips()
    {
        var recipient = X25519Recipient.Parse(SpecRecipient);
        Assert.Equal(SpecRecipient, recipient.ToString());
        Assert.IsType<X25519Recipient>(AgeRecipient.Parse("  " + SpecRecipient + "\n"));
    }

    [Fact]
    public void Generated_keys_round_trip_through_text()
    {
        var identity = X25519Identity.Generate();
        var text = identity.ToString();
        Assert.StartsWith("AGE-SECRET-KEY-1", text, StringComparison.Ordinal);
        Assert.Equal(text, text.ToUpperInvariant());
        Assert.Equal(identity.Recipient.ToString(), X25519Identity.Parse(text).Recipient.ToString());
        Assert.StartsWith("age1", identity.Recipient.ToString(), StringComparison.Ordinal);
        Assert.Equal(62, identity.Recipient.ToString().Length);
    }

    [Theory]
    [InlineData("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwk", "checksum")] // last char changed
    [InlineData("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnuJwj", "mixes")]
    [InlineData("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnu", "checksum")] // truncated
    [InlineData("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnubwj", "bech32 character")]
    [InlineData("agf1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj", "expected")]
    [InlineData("ssh-ed25519 AAAAC3Nza", "SSH")]
    [InlineData("", "expected")]
    public void Malformed_recipients_are_rejected_with_a_reason(string text, string reason)
    {
        var ex = Assert.Throws<AgeException>(() => AgeRecipient.Parse(text));
        Assert.Equal(AgeErrorKind.MalformedRecipient, ex.Kind);
        Assert.Contains(reason, ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Recipient_with_wrong_hrp_but_valid_checksum_is_rejected()
    {
        var other = Bech32.Encode("agex", new byte[32]);
        var ex = Assert.Throws<AgeException>(() => X25519Recipient.Parse(other));
        Assert.Equal(AgeErrorKind.MalformedRecipient, ex.Kind);
    }

    [Fact]
    public void Lower_case_identity_is_rejected_and_the_secret_is_not_echoed()
    {
        var lower = SpecIdentity.ToLowerInvariant();
        var ex = Assert.Throws<AgeException>(() => X25519Identity.Parse(lower));
        Assert.Equal(AgeErrorKind.MalformedIdentity, ex.Kind);
        Assert.DoesNotContain("gfpyy", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Identity_with_wrong_length_is_rejected()
    {
        var shortKey = Bech32.Encode("AGE-SECRET-KEY-", new byte[31]);
        Assert.Equal(AgeErrorKind.MalformedIdentity, Assert.Throws<AgeException>(() => X25519Identity.Parse(shortKey)).Kind);
    }

    [Fact]
    public void Identity_files_skip_comments_and_report_line_numbers()
    {
        var identity = X25519Identity.Generate();
        var text = IdentityFile.Format(identity, DateTimeOffset.UnixEpoch) + "\n# another comment\n";
        var parsed = IdentityFile.Parse(new StringReader(text), "keys.txt");
        Assert.Single(parsed);
        Assert.Contains("# public key: " + identity.Recipient, text, StringComparison.Ordinal);
        Assert.Contains("# created: 1970-01-01T00:00:00Z", text, StringComparison.Ordinal);

        var bad = Assert.Throws<AgeException>(() => IdentityFile.Parse(new StringReader("# c\n\nAGE-SECRET-KEY-1XYZ\n"), "keys.txt"));
        Assert.Contains("keys.txt line 3", bad.Message, StringComparison.Ordinal);
        Assert.Throws<AgeException>(() => IdentityFile.Parse(new StringReader("# only a comment\n"), "empty.txt"));
    }

    [Fact]
    public void Recipients_files_parse_several()
    {
        var a = X25519Identity.Generate().Recipient;
        var b = X25519Identity.Generate().Recipient;
        var parsed = AgeRecipient.ParseFile(new StringReader($"# team\n{a}\n\n{b}\n"), "r.txt");
        Assert.Equal(2, parsed.Count);
    }
}
