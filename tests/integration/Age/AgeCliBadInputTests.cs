using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace EtcdDr.IntegrationTests.Age;

/// <summary>
/// decrypt -o FILE on inputs that must be refused: the exit code, a message that names the cause,
/// and nothing at FILE (nor a temporary file next to it) afterwards.
/// </summary>
public sealed class AgeCliBadInputTests : IDisposable
{
    private readonly AgeTempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Output => _dir.File("out");

    private async Task<(string Identity, string Recipient)> KeyAsync()
    {
        var path = _dir.File("key.txt");
        var run = await CliHarness.RunAsync(["key", "generate", "-o", path]);
        Assert.Equal(0, run.ExitCode);
        return (path, run.Output.Trim()["Public key: ".Length..]);
    }

    private async Task<(string Identity, string Encrypted)> EncryptedAsync(bool armor = false)
    {
        var (identity, recipient) = await KeyAsync();
        await File.WriteAllBytesAsync(_dir.File("plain"), RandomNumberGenerator.GetBytes(70_000));
        var encrypted = _dir.File(armor ? "file.age.asc" : "file.age");
        var run = await CliHarness.RunAsync(armor
            ? ["encrypt", "-a", "-r", recipient, "-o", encrypted, _dir.File("plain")]
            : ["encrypt", "-r", recipient, "-o", encrypted, _dir.File("plain")]);
        Assert.True(run.ExitCode == 0, run.Error);
        return (identity, encrypted);
    }

    private void AssertNothingLeft()
    {
        Assert.False(File.Exists(Output), "the output file exists after a failure");
        var stray = Directory.GetFiles(_dir.Path, ".*").Concat(Directory.GetFiles(_dir.Path, "*.part"));
        Assert.Empty(stray);
    }

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=');

    [Fact]
    public async Task Unsupported_version_to_a_file()
    {
        var (identity, encrypted) = await EncryptedAsync();
        var bytes = await File.ReadAllBytesAsync(encrypted);
        bytes["age-encryption.org/".Length + 1] = (byte)'2';
        await File.WriteAllBytesAsync(encrypted, bytes);
        var run = await CliHarness.RunAsync(["decrypt", "-i", identity, "-o", Output, encrypted]);
        Assert.Equal(3, run.ExitCode);
        Assert.Contains("unsupported age format version 'v2'", run.Error, StringComparison.Ordinal);
        AssertNothingLeft();
    }

    [Theory]
    [InlineData("AGE-SECRET-KEY-1QQQQQQQQQQQQQQ\n", "line 1")]
    [InlineData("# comment\n\nnot a key at all\n", "line 3")]
    [InlineData("# only comments\n", "no identities")]
    public async Task Malformed_identity_file_to_a_file(string content, string message)
    {
        var (_, encrypted) = await EncryptedAsync();
        var bad = _dir.File("bad-key.txt");
        await File.WriteAllTextAsync(bad, content);
        var run = await CliHarness.RunAsync(["decrypt", "-i", bad, "-o", Output, encrypted]);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("QQQQQQQ", run.Error, StringComparison.Ordinal);
        File.Delete(bad);
        AssertNothingLeft();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("30")]
    public async Task An_absurd_scrypt_work_factor_is_refused_before_any_scrypt_work(string? maxWorkFactor)
    {
        string[] extra = maxWorkFactor is null ? [] : ["--max-work-factor", maxWorkFactor];
        // 2^60 would need an exabyte and never finish: the refusal must come from reading the header.
        var header = $"age-encryption.org/v1\n-> scrypt {B64(RandomNumberGenerator.GetBytes(16))} 60\n{B64(RandomNumberGenerator.GetBytes(32))}\n--- {B64(RandomNumberGenerator.GetBytes(32))}\n";
        var crafted = _dir.File("crafted.age");
        await File.WriteAllBytesAsync(crafted, [.. Encoding.ASCII.GetBytes(header), .. RandomNumberGenerator.GetBytes(16 + 100)]);
        await File.WriteAllTextAsync(_dir.File("pw"), "anything\n");
        var clock = Stopwatch.StartNew();
        var run = await CliHarness.RunAsync(["decrypt", "--passphrase-file", _dir.File("pw"), .. extra, "-o", Output, crafted]);
        clock.Stop();
        Assert.Equal(5, run.ExitCode);
        Assert.Contains("scrypt work factor 2^60 is above the allowed maximum", run.Error, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        AssertNothingLeft();
    }

    [Theory]
    [InlineData("31")]
    [InlineData("64")]
    [InlineData("0")]
    public async Task Max_work_factor_outside_1_to_30_is_a_usage_error(string value)
    {
        var (_, encrypted) = await EncryptedAsync();
        await File.WriteAllTextAsync(_dir.File("pw"), "anything\n");
        var run = await CliHarness.RunAsync(["decrypt", "--passphrase-file", _dir.File("pw"), "--max-work-factor", value, "-o", Output, encrypted]);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"--max-work-factor {value}: the scrypt work factor (log2 N) must be between 1 and 30", run.Error, StringComparison.Ordinal);
        AssertNothingLeft();

        var encrypt = await CliHarness.RunAsync(["encrypt", "--passphrase-file", _dir.File("pw"), "--work-factor", value, "-o", Output, encrypted]);
        Assert.Equal(2, encrypt.ExitCode);
        Assert.Contains($"--work-factor {value}: ", encrypt.Error, StringComparison.Ordinal);
        AssertNothingLeft();
    }

    [Theory]
    [InlineData("random", "not an age file: the first line is not")]
    [InlineData("text", "not an age file: the first line is not")]
    [InlineData("empty", "the input is empty, not an age file")]
    [InlineData("header-only", "the file ends inside the age header")]
    public async Task Garbage_input_is_not_an_age_file(string kind, string message)
    {
        var (identity, _) = await KeyAsync();
        var input = _dir.File("garbage");
        byte[] bytes = kind switch
        {
            "random" => RandomNumberGenerator.GetBytes(5000),
            "text" => Encoding.ASCII.GetBytes("this is a plain etcd snapshot, honest\n"),
            "empty" => [],
            "header-only" => Encoding.ASCII.GetBytes("age-encryption.org/v1\n"),
            _ => throw new ArgumentException(kind),
        };
        await File.WriteAllBytesAsync(input, bytes);
        var run = await CliHarness.RunAsync(["decrypt", "-i", identity, "-o", Output, input]);
        Assert.Equal(3, run.ExitCode);
        Assert.StartsWith("etcd-dr: ", run.Error, StringComparison.Ordinal);
        Assert.Contains(message, run.Error, StringComparison.Ordinal);
        AssertNothingLeft();
    }

    [Theory]
    [InlineData("bad-char", "malformed ASCII armor: a line contains a character outside base64")]
    [InlineData("no-end", "the armored file ends before its '-----END")]
    [InlineData("long-line", "malformed ASCII armor: a line has 72 columns")]
    [InlineData("wrong-label", "not an age file: the first line is not 'age-encryption.org/v1'")]
    public async Task Malformed_armor_to_a_file(string damage, string message)
    {
        var (identity, encrypted) = await EncryptedAsync(armor: true);
        var lines = (await File.ReadAllTextAsync(encrypted)).Split('\n').ToList();
        switch (damage)
        {
            case "bad-char":
                lines[3] = "*" + lines[3][1..];
                break;
            case "no-end":
                lines.RemoveAll(l => l.StartsWith("-----END", StringComparison.Ordinal));
                break;
            case "long-line":
                lines[2] += lines[3][..8];
                break;
            case "wrong-label":
                lines[0] = "-----BEGIN PGP MESSAGE-----";
                break;
        }
        await File.WriteAllTextAsync(encrypted, string.Join('\n', lines));
        var run = await CliHarness.RunAsync(["decrypt", "-i", identity, "-o", Output, encrypted]);
        Assert.Equal(3, run.ExitCode);
        Assert.Contains(message, run.Error, StringComparison.Ordinal);
        AssertNothingLeft();
    }
}
