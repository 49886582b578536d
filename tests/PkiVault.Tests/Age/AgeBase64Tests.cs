using PkiVault.Age;

namespace PkiVault.Tests.Age;

public class AgeBase64Tests
{
    [Theory]
    [InlineData("", 0)]
    [InlineData("AA", 1)]
    [InlineData("AAA", 2)]
    [InlineData("AAAA", 3)]
    [InlineData("XEl0dJ6y3C7KZkgmgWUicg63EyXJiwBJW8PdYJ/cYBE", 32)]
    public void Canonical_unpadded_input_decodes(string text, int length)
    {
        Assert.True(AgeBase64.TryDecode(text, out var bytes));
        Assert.Equal(length, bytes.Length);
        Assert.Equal(text, AgeBase64.Encode(bytes));
    }

    [Theory]
    [InlineData("AA==")] // padding
    [InlineData("AB")] // non-zero trailing bits: not canonical
    [InlineData("AAB")]
    [InlineData("A")] // impossible length
    [InlineData("AA AA")] // whitespace
    [InlineData("AA-_")] // URL alphabet
    [InlineData("AA\nAA")]
    public void Non_canonical_input_is_rejected(string text)
    {
        Assert.False(AgeBase64.TryDecode(text, out _));
    }
}
