namespace EtcdDr.IntegrationTests.Age;

/// <summary>
/// Issue 10: the header grammar agrees with the reference age CLI. A stanza argument with a byte
/// outside visible ASCII is a parse error for both (not a MAC failure); a visible-ASCII grease
/// stanza parses in both and fails only the header MAC (it was inserted after encryption).
/// </summary>
public sealed class AgeHeaderGrammarInteropTests : IDisposable
{
    private readonly AgeTempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private async Task<(string Identity, byte[] File)> AgeEncryptedAsync()
    {
        var identity = _dir.File("key.txt");
        Assert.Equal(0, (await AgeProcessRunner.RunAsync(AgeTools.AgeKeygen, ["-o", identity])).ExitCode);
        var recipient = (await AgeProcessRunner.RunAsync(AgeTools.AgeKeygen, ["-y", identity])).StdoutText.Trim();
        var encrypted = await AgeProcessRunner.RunAsync(AgeTools.Age, ["-r", recipient], stdin: "hello\n"u8.ToArray());
        Assert.Equal(0, encrypted.ExitCode);
        return (identity, encrypted.Stdout);
    }

    private string WithStanzaAfterVersion(byte[] file, byte[] stanzaLine, string name)
    {
        var versionEnd = Array.IndexOf(file, (byte)'\n') + 1;
        var path = _dir.File(name);
        File.WriteAllBytes(path, [.. file[..versionEnd], .. stanzaLine, .. "\n\n"u8, .. file[versionEnd..]]);
        return path;
    }

    [Theory]
    [InlineData(0x80)]
    [InlineData(0xff)]
    public async Task A_non_ascii_stanza_argument_is_malformed_for_age_and_for_us(int bad)
    {
        var (identity, file) = await AgeEncryptedAsync();
        var path = WithStanzaAfterVersion(file, [.. "-> grease a"u8, (byte)bad, .. "b"u8], "bad.age");

        var age = await AgeProcessRunner.RunAsync(AgeTools.Age, ["-d", "-i", identity, path]);
        var ours = await CliHarness.RunAsync(["decrypt", "-i", identity, "-o", _dir.File("out"), path]);

        Assert.NotEqual(0, age.ExitCode);
        Assert.Contains("malformed stanza", age.Stderr, StringComparison.Ordinal);
        Assert.True(ours.ExitCode == 3, ours.Error);
        Assert.Contains("malformed age header", ours.Error, StringComparison.Ordinal);
        Assert.Contains("not visible ASCII", ours.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_visible_ascii_grease_stanza_parses_for_both_and_fails_only_the_mac()
    {
        var (identity, file) = await AgeEncryptedAsync();
        var path = WithStanzaAfterVersion(file, "-> grease !a~ {b}"u8.ToArray(), "grease.age");

        var age = await AgeProcessRunner.RunAsync(AgeTools.Age, ["-d", "-i", identity, path]);
        var ours = await CliHarness.RunAsync(["decrypt", "-i", identity, "-o", _dir.File("out"), path]);

        Assert.Contains("bad header MAC", age.Stderr, StringComparison.Ordinal);
        Assert.True(ours.ExitCode == 3, ours.Error);
        Assert.Contains("MAC does not match", ours.Error, StringComparison.Ordinal);
    }
}
