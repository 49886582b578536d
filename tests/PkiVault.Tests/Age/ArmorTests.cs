using System.Text;
using PkiVault.Age;

namespace PkiVault.Tests.Age;

public class ArmorTests
{
    private static readonly X25519Identity Alice = X25519Identity.Generate();

    private static string Armored(int size) =>
        Encoding.ASCII.GetString(AgeTestKit.Encrypt(AgeTestKit.RandomBytes(size, size), [Alice.Recipient], armor: true));

    private static AgeException Fails(string text) =>
        Assert.Throws<AgeException>(() => AgeTestKit.Decrypt(Encoding.ASCII.GetBytes(text), Alice));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1000)]
    [InlineData(70_000)]
    public void Armor_is_strict_pem_with_64_columns(int size)
    {
        var text = Armored(size);
        Assert.StartsWith("-----BEGIN AGE ENCRYPTED FILE-----\n", text, StringComparison.Ordinal);
        Assert.EndsWith("\n-----END AGE ENCRYPTED FILE-----\n", text, StringComparison.Ordinal);
        var lines = text.Split('\n')[1..^2];
        Assert.All(lines[..^1], l => Assert.Equal(64, l.Length));
        Assert.InRange(lines[^1].Length, 1, 64);
        var binary = Convert.FromBase64String(string.Concat(lines));
        Assert.StartsWith("age-encryption.org/v1\n", Encoding.ASCII.GetString(binary), StringComparison.Ordinal);
    }

    [Fact]
    public void Surrounding_whitespace_and_crlf_are_accepted()
    {
        var text = Armored(500);
        Assert.Equal(500, AgeTestKit.Decrypt(Encoding.ASCII.GetBytes("\n  \r\n" + text + "\n\n  "), Alice).Length);
        Assert.Equal(500, AgeTestKit.Decrypt(Encoding.ASCII.GetBytes(text.Replace("\n", "\r\n", StringComparison.Ordinal)), Alice).Length);
        Assert.Equal(500, AgeTestKit.Decrypt(Encoding.ASCII.GetBytes(text.TrimEnd('\n')), Alice).Length);
    }

    [Fact]
    public void Garbage_after_the_end_marker_is_rejected()
    {
        Assert.Equal(AgeErrorKind.MalformedArmor, Fails(Armored(100) + "x\n").Kind);
    }

    [Fact]
    public void Garbage_before_the_begin_marker_is_not_armor()
    {
        Assert.True(Fails("x" + Armored(100)).IsIntegrityFailure);
    }

    [Fact]
    public void Short_line_in_the_middle_is_rejected()
    {
        var lines = Armored(1000).Split('\n').ToList();
        lines[2] = lines[2][..60];
        Assert.Equal(AgeErrorKind.MalformedArmor, Fails(string.Join('\n', lines)).Kind);
    }

    [Fact]
    public void Long_line_is_rejected()
    {
        var lines = Armored(1000).Split('\n').ToList();
        lines[1] += lines[2][..4];
        lines[2] = lines[2][4..];
        Assert.Equal(AgeErrorKind.MalformedArmor, Fails(string.Join('\n', lines)).Kind);
    }

    [Fact]
    public void Missing_padding_or_non_canonical_bits_are_rejected()
    {
        // 1 byte of payload plus header gives a last line with padding; strip it.
        var text = Armored(1);
        var lines = text.Split('\n').ToList();
        var last = lines.Count - 3;
        if (lines[last].EndsWith('='))
        {
            lines[last] = lines[last].TrimEnd('=');
            Assert.Equal(AgeErrorKind.MalformedArmor, Fails(string.Join('\n', lines)).Kind);
        }
        // Non-canonical: a character before the padding with stray low bits.
        var noncanonical = string.Join('\n', text.Split('\n').Select((l, i) => i == last && l.EndsWith("==", StringComparison.Ordinal)
            ? l[..^3] + (l[^3] == 'A' ? 'B' : (char)(l[^3] | 1)) + "==" : l));
        if (noncanonical != text)
            Assert.True(Fails(noncanonical).IsIntegrityFailure);
    }

    [Fact]
    public void Missing_end_marker_is_truncation()
    {
        var text = Armored(1000);
        var cut = text[..text.IndexOf("-----END", StringComparison.Ordinal)];
        Assert.Equal(AgeErrorKind.Truncated, Fails(cut).Kind);
    }

    [Fact]
    public void Wrong_label_is_rejected()
    {
        var text = Armored(10).Replace("BEGIN AGE ENCRYPTED FILE", "BEGIN AGE ENCRYPTED FILF", StringComparison.Ordinal);
        Assert.True(Fails(text).IsIntegrityFailure);
    }
}
