using System.Text;

namespace EtcdDr.IntegrationTests.Age;

/// <summary>The encrypt/decrypt/key verbs run in-process: exit codes, messages, and nothing left behind on failure.</summary>
public class AgeCliTests : IDisposable
{
    private const int Chunk = 64 * 1024;
    private readonly AgeTempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private async Task<(string Identity, string Recipient)> KeyAsync(string name = "key.txt")
    {
        var path = _dir.File(name);
        var run = await CliHarness.RunAsync(["key", "generate", "-o", path]);
        Assert.Equal(0, run.ExitCode);
        return (path, run.Output.Trim()["Public key: ".Length..]);
    }

    private async Task<(string Identity, string Encrypted, byte[] Plain)> EncryptedAsync(int size, bool armor = false)
    {
        var (identity, recipient) = await KeyAsync();
        var plain = new byte[size];
        new Random(size).NextBytes(plain);
        File.WriteAllBytes(_dir.File("plain"), plain);
        var encrypted = _dir.File("file.age");
        var args = new List<string> { "encrypt", "-r", recipient, "-o", encrypted, _dir.File("plain") };
        if (armor)
            args.Add("-a");
        var run = await CliHarness.RunAsync([.. args]);
        Assert.True(run.ExitCode == 0, run.Error);
        return (identity, encrypted, plain);
    }

    private void AssertNothingLeftAt(string output)
    {
        Assert.False(File.Exists(output), $"{output} exists after a failure");
        Assert.Empty(Directory.GetFiles(_dir.Path, "*.part", SearchOption.AllDirectories).Concat(Directory.GetFiles(_dir.Path, ".*")));
    }

    [Fact]
    public async Task Key_generate_without_a_file_prints_the_identity()
    {
        var run = await CliHarness.RunAsync(["key", "generate"]);
        Assert.Equal(0, run.ExitCode);
        Assert.Matches(@"# public key: age1\w+\nAGE-SECRET-KEY-1\w+\n$", run.Output);
    }

    [Fact]
    public async Task Key_generate_refuses_an_existing_file()
    {
        var (identity, _) = await KeyAsync();
        var before = await File.ReadAllTextAsync(identity);
        var run = await CliHarness.RunAsync(["key", "generate", "-o", identity]);
        Assert.Equal(5, run.ExitCode);
        Assert.Contains("already exists", run.Error, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllTextAsync(identity));
    }

    [Fact]
    public async Task Round_trip_through_stdin_and_stdout()
    {
        var (identity, recipient) = await KeyAsync();
        var plain = Encoding.UTF8.GetBytes("hello from stdin");
        var enc = await CliHarness.RunAsync(["encrypt", "-r", recipient, "-a"], stdin: plain);
        Assert.Equal(0, enc.ExitCode);
        Assert.StartsWith("-----BEGIN AGE ENCRYPTED FILE-----\n", Encoding.ASCII.GetString(enc.Stdout), StringComparison.Ordinal);
        var dec = await CliHarness.RunAsync(["decrypt", "-i", identity, "-"], stdin: enc.Stdout);
        Assert.Equal(0, dec.ExitCode);
        Assert.Equal(plain, dec.Stdout);
    }

    [Fact]
    public async Task Binary_ciphertext_is_not_written_to_a_terminal()
    {
        var (_, recipient) = await KeyAsync();
        var refused = await CliHarness.RunAsync(["encrypt", "-r", recipient], stdin: [1, 2, 3], stdoutIsTerminal: true);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("refusing to write binary ciphertext to a terminal", refused.Error, StringComparison.Ordinal);
        Assert.Empty(refused.Stdout);
        var armored = await CliHarness.RunAsync(["encrypt", "-r", recipient, "-a"], stdin: [1, 2, 3], stdoutIsTerminal: true);
        Assert.Equal(0, armored.ExitCode);
    }

    [Fact]
    public async Task Output_file_is_0600_and_existing_output_needs_force()
    {
        var (identity, encrypted, plain) = await EncryptedAsync(10);
        Assert.Equal("600", AgeFileModes.Octal(encrypted));
        var output = _dir.File("out");
        await File.WriteAllTextAsync(output, "keep me");
        var refused = await CliHarness.RunAsync(["decrypt", "-i", identity, "-o", output, encrypted]);
        Assert.Equal(5, refused.ExitCode);
        Assert.Equal("keep me", await File.ReadAllTextAsync(output));
        var forced = await CliHarness.RunAsync(["decrypt", "-i", identity, "-o", output, "--force", encrypted]);
        Assert.Equal(0, forced.ExitCode);
        Assert.Equal(plain, File.ReadAllBytes(output));
    }

    [Theory]
    [InlineData("age1notakey", "malformed recipient")]
    [InlineData("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwk", "checksum")]
    [InlineData("ssh-ed25519", "SSH public keys")]
    public async Task Malformed_recipient_is_a_usage_error_and_writes_nothing(string recipient, string message)
    {
        File.WriteAllText(_dir.File("plain"), "x");
        var output = _dir.File("out.age");
        var run = await CliHarness.RunAsync(["encrypt", "-r", recipient, "-o", output, _dir.File("plain")]);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Error, StringComparison.Ordinal);
        AssertNothingLeftAt(output);
    }

    [Fact]
    public async Task Wrong_identity_is_an_integrity_error_and_writes_nothing()
    {
        var (_, encrypted, _) = await EncryptedAsync(1000);
        var (other, _) = await KeyAsync("other.txt");
        var output = _dir.File("out");
        var run = await CliHarness.RunAsync(["decrypt", "-i", other, "-o", output, encrypted]);
        Assert.Equal(3, run.ExitCode);
        Assert.Contains("wrong identity", run.Error, StringComparison.Ordinal);
        AssertNothingLeftAt(output);
    }

    [Theory]
    [InlineData("header")]
    [InlineData("mac")]
    [InlineData("chunk0")]
    [InlineData("chunk1")]
    [InlineData("final")]
    [InlineData("truncate-boundary")]
    [InlineData("truncate-middle")]
    [InlineData("append")]
    public async Task Damaged_file_to_an_output_file_fails_and_leaves_nothing(string damage)
    {
        var (identity, encrypted, _) = await EncryptedAsync(2 * Chunk + 500);
        var bytes = File.ReadAllBytes(encrypted);
        var header = Encoding.ASCII.GetString(bytes, 0, 400);
        var headerEnd = header.IndexOf('\n', header.IndexOf("\n--- ", StringComparison.Ordinal) + 1) + 1;
        var payload = headerEnd + 16;
        bytes = damage switch
        {
            "header" => Flip(bytes, 30),
            "mac" => Flip(bytes, headerEnd - 10),
            "chunk0" => Flip(bytes, payload + 100),
            "chunk1" => Flip(bytes, payload + Chunk + 16 + 100),
            "final" => Flip(bytes, bytes.Length - 1),
            "truncate-boundary" => bytes[..(payload + 2 * (Chunk + 16))],
            "truncate-middle" => bytes[..(payload + Chunk)],
            "append" => [.. bytes, 0x42],
            _ => throw new ArgumentException(damage),
        };
        File.WriteAllBytes(encrypted, bytes);
        var output = _dir.File("out");
        var run = await CliHarness.RunAsync(["decrypt", "-i", identity, "-o", output, encrypted]);
        Assert.Equal(3, run.ExitCode);
        Assert.StartsWith("etcd-dr: ", run.Error, StringComparison.Ordinal);
        AssertNothingLeftAt(output);
    }

    private static byte[] Flip(byte[] bytes, int offset)
    {
        var copy = (byte[])bytes.Clone();
        // Stay inside the base64 alphabet in the header so the failure is the MAC, not the grammar.
        copy[offset] = copy[offset] switch { (byte)'A' => (byte)'B', (byte)'\n' => (byte)'\n', var b when b < 0x80 && b > 0x20 => (byte)'A', var b => (byte)(b ^ 1) };
        if (copy[offset] == bytes[offset])
            copy[offset] ^= 0x01;
        return copy;
    }

    [Fact]
    public async Task Decrypting_to_stdout_releases_only_authenticated_chunks()
    {
        var (identity, encrypted, plain) = await EncryptedAsync(3 * Chunk);
        var bytes = File.ReadAllBytes(encrypted);
        bytes[^10] ^= 1; // inside the last (third) chunk
        var run = await CliHarness.RunAsync(["decrypt", "-i", identity], stdin: bytes);
        Assert.Equal(3, run.ExitCode);
        Assert.Contains("chunk 2", run.Error, StringComparison.Ordinal);
        Assert.Equal(plain[..(2 * Chunk)], run.Stdout);
    }

    [Fact]
    public async Task Unsupported_version_is_named()
    {
        var (identity, encrypted, _) = await EncryptedAsync(10);
        var bytes = File.ReadAllBytes(encrypted);
        bytes[20] = (byte)'9';
        File.WriteAllBytes(encrypted, bytes);
        var run = await CliHarness.RunAsync(["decrypt", "-i", identity, encrypted]);
        Assert.Equal(3, run.ExitCode);
        Assert.Contains("unsupported age format version 'v9'", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_armor_is_an_integrity_error()
    {
        var (identity, encrypted, _) = await EncryptedAsync(100, armor: true);
        var text = await File.ReadAllTextAsync(encrypted);
        await File.WriteAllTextAsync(encrypted, text + "trailing junk\n");
        var run = await CliHarness.RunAsync(["decrypt", "-i", identity, "-o", _dir.File("out"), encrypted]);
        Assert.Equal(3, run.ExitCode);
        Assert.Contains("malformed ASCII armor", run.Error, StringComparison.Ordinal);
        AssertNothingLeftAt(_dir.File("out"));
    }

    [Fact]
    public async Task Passphrase_sources_and_work_factor_ceiling()
    {
        File.WriteAllText(_dir.File("plain"), "secret");
        File.WriteAllText(_dir.File("pw"), "pass phrase\n");
        var encrypted = _dir.File("p.age");
        var env = new Dictionary<string, string> { ["ETCD_DR_PASSPHRASE"] = "pass phrase" };
        var enc = await CliHarness.RunAsync(["encrypt", "-p", "--work-factor", "12", "-o", encrypted, _dir.File("plain")], environment: env);
        Assert.True(enc.ExitCode == 0, enc.Error);

        var viaFile = await CliHarness.RunAsync(["decrypt", "--passphrase-file", _dir.File("pw"), encrypted]);
        Assert.Equal("secret", Encoding.UTF8.GetString(viaFile.Stdout));

        var ceiling = await CliHarness.RunAsync(["decrypt", "--passphrase-file", _dir.File("pw"), "--max-work-factor", "11", "-o", _dir.File("out"), encrypted]);
        Assert.Equal(5, ceiling.ExitCode);
        Assert.Contains("work factor", ceiling.Error, StringComparison.Ordinal);
        AssertNothingLeftAt(_dir.File("out"));

        var none = await CliHarness.RunAsync(["decrypt", encrypted]);
        Assert.Equal(2, none.ExitCode);
        Assert.Contains("no passphrase", none.Error, StringComparison.Ordinal);

        var mixed = await CliHarness.RunAsync(["encrypt", "-p", "-r", (await KeyAsync()).Recipient, _dir.File("plain")], environment: env);
        Assert.Equal(2, mixed.ExitCode);
    }

    [Fact]
    public async Task Malformed_identity_file_is_a_usage_error_without_echoing_the_secret()
    {
        var (_, encrypted, _) = await EncryptedAsync(10);
        File.WriteAllText(_dir.File("bad.txt"), "# comment\nAGE-SECRET-KEY-1QQQQQQQQQQQQQQ\n");
        var run = await CliHarness.RunAsync(["decrypt", "-i", _dir.File("bad.txt"), encrypted]);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("line 2", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("QQQQQQQQ", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_input_file_is_a_usage_error()
    {
        var (_, recipient) = await KeyAsync();
        var run = await CliHarness.RunAsync(["encrypt", "-r", recipient, "-o", _dir.File("o"), _dir.File("nope")]);
        Assert.Equal(2, run.ExitCode);
        AssertNothingLeftAt(_dir.File("o"));
    }
}
