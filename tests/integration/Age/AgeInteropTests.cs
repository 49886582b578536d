using System.Text;

namespace EtcdDr.IntegrationTests.Age;

/// <summary>
/// Files written by etcd-dr open with the reference `age` CLI and the other way round: the promise
/// that an operator can decrypt a backup in an emergency without our tool.
/// </summary>
public class AgeInteropTests : IDisposable
{
    private const int Chunk = 64 * 1024;
    private readonly AgeTempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<int> Sizes => new() { 0, 1, Chunk, Chunk + 1, 3 * 1024 * 1024 + 17 };

    private async Task<(string IdentityFile, string Recipient)> AgeKeygenAsync(string name)
    {
        var path = _dir.File(name);
        var result = await AgeProcessRunner.RunAsync(AgeTools.AgeKeygen, ["-o", path]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        var recipient = (await AgeProcessRunner.RunAsync(AgeTools.AgeKeygen, ["-y", path])).StdoutText.Trim();
        return (path, recipient);
    }

    private async Task<(string IdentityFile, string Recipient)> EtcdDrKeygenAsync(string name)
    {
        var path = _dir.File(name);
        var run = await CliHarness.RunAsync(["key", "generate", "-o", path]);
        Assert.True(run.ExitCode == 0, run.Error);
        var recipient = run.Output.Trim().Replace("Public key: ", "", StringComparison.Ordinal);
        return (path, recipient);
    }

    private string WritePlain(int size, string name = "plain.bin")
    {
        var bytes = new byte[size];
        new Random(size).NextBytes(bytes);
        var path = _dir.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Etcd_dr_encrypts_and_age_decrypts(int size)
    {
        var (identity, recipient) = await AgeKeygenAsync("age-key.txt");
        var plain = WritePlain(size);
        foreach (var armor in new[] { false, true })
        {
            var encrypted = _dir.File(armor ? "out.age.asc" : "out.age");
            var args = new List<string> { "encrypt", "-r", recipient, "-o", encrypted, plain };
            if (armor)
                args.Add("--armor");
            var run = await CliHarness.RunAsync([.. args]);
            Assert.True(run.ExitCode == 0, run.Error);
            var decrypted = await AgeProcessRunner.RunAsync(AgeTools.Age, ["--decrypt", "-i", identity, encrypted]);
            Assert.True(decrypted.ExitCode == 0, decrypted.Stderr);
            Assert.Equal(File.ReadAllBytes(plain), decrypted.Stdout);
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Age_encrypts_and_etcd_dr_decrypts(int size)
    {
        var (identity, recipient) = await EtcdDrKeygenAsync("dr-key.txt");
        var plain = WritePlain(size);
        foreach (var armor in new[] { false, true })
        {
            var encrypted = _dir.File(armor ? "in.age.asc" : "in.age");
            var ageArgs = new List<string> { "-r", recipient, "-o", encrypted };
            if (armor)
                ageArgs.Add("--armor");
            ageArgs.Add(plain);
            var enc = await AgeProcessRunner.RunAsync(AgeTools.Age, ageArgs);
            Assert.True(enc.ExitCode == 0, enc.Stderr);
            var output = _dir.File(armor ? "armored.out" : "binary.out");
            var run = await CliHarness.RunAsync(["decrypt", "-i", identity, "-o", output, encrypted]);
            Assert.True(run.ExitCode == 0, run.Error);
            Assert.Equal(File.ReadAllBytes(plain), File.ReadAllBytes(output));
        }
    }

    [Fact]
    public async Task Several_recipients_in_both_directions()
    {
        var ageKey = await AgeKeygenAsync("a.txt");
        var drKey = await EtcdDrKeygenAsync("d.txt");
        var other = await AgeKeygenAsync("o.txt");
        var plain = WritePlain(200_000);

        var recipientsFile = _dir.File("recipients.txt");
        await File.WriteAllTextAsync(recipientsFile, $"# team\n{drKey.Recipient}\n\n{other.Recipient}\n");
        var ours = _dir.File("ours.age");
        var run = await CliHarness.RunAsync(["encrypt", "-r", ageKey.Recipient, "-R", recipientsFile, "-o", ours, plain]);
        Assert.True(run.ExitCode == 0, run.Error);
        foreach (var identity in new[] { ageKey.IdentityFile, drKey.IdentityFile, other.IdentityFile })
        {
            var dec = await AgeProcessRunner.RunAsync(AgeTools.Age, ["-d", "-i", identity, ours]);
            Assert.True(dec.ExitCode == 0, dec.Stderr);
            Assert.Equal(File.ReadAllBytes(plain), dec.Stdout);
        }

        var theirs = _dir.File("theirs.age");
        var enc = await AgeProcessRunner.RunAsync(AgeTools.Age, ["-r", ageKey.Recipient, "-r", drKey.Recipient, "-r", other.Recipient, "-o", theirs, plain]);
        Assert.True(enc.ExitCode == 0, enc.Stderr);
        var viaStdout = await CliHarness.RunAsync(["decrypt", "-i", other.IdentityFile, "-i", drKey.IdentityFile, theirs]);
        Assert.True(viaStdout.ExitCode == 0, viaStdout.Error);
        Assert.Equal(File.ReadAllBytes(plain), viaStdout.Stdout);
    }

    [Fact]
    public async Task Age_keygen_identity_files_work_in_etcd_dr_and_back()
    {
        var ageKey = await AgeKeygenAsync("a.txt");
        var drKey = await EtcdDrKeygenAsync("d.txt");
        // age-keygen -y derives the same public key from our identity file as we printed.
        var derived = await AgeProcessRunner.RunAsync(AgeTools.AgeKeygen, ["-y", drKey.IdentityFile]);
        Assert.Equal(drKey.Recipient, derived.StdoutText.Trim());
        var text = await File.ReadAllTextAsync(drKey.IdentityFile);
        Assert.Matches(@"^# created: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n# public key: age1[a-z0-9]{58}\nAGE-SECRET-KEY-1[A-Z0-9]{58}\n$", text);
        Assert.Equal("600", AgeFileModes.Octal(drKey.IdentityFile));
        // And ours parses age-keygen's file (with its local-time comment lines).
        var parsed = PkiVault.Age.IdentityFile.Parse(new StringReader(await File.ReadAllTextAsync(ageKey.IdentityFile)), "a.txt");
        Assert.Equal(ageKey.Recipient, parsed[0].Recipient.ToString());
    }

    private const int FewMiB = 3 * 1024 * 1024 + 17;

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, false)]
    [InlineData(Chunk, false)]
    [InlineData(Chunk, true)]
    [InlineData(Chunk + 1, true)]
    [InlineData(FewMiB, false)]
    [InlineData(FewMiB, true)]
    public async Task Passphrase_etcd_dr_encrypts_and_age_decrypts_on_a_terminal(int size, bool armor)
    {
        var plain = WritePlain(size);
        var passphraseFile = _dir.File("pw.txt");
        await File.WriteAllTextAsync(passphraseFile, "correct horse battery staple\n");
        var encrypted = _dir.File("pw.age");
        var run = await CliHarness.RunAsync(armor
            ? ["encrypt", "--passphrase-file", passphraseFile, "--work-factor", "14", "-a", "-o", encrypted, plain]
            : ["encrypt", "--passphrase-file", passphraseFile, "--work-factor", "14", "-o", encrypted, plain]);
        Assert.True(run.ExitCode == 0, run.Error);
        var head = Encoding.ASCII.GetString(File.ReadAllBytes(encrypted).AsSpan(0, 40));
        Assert.StartsWith(armor ? "-----BEGIN AGE ENCRYPTED FILE-----" : "age-encryption.org/v1\n-> scrypt ", head, StringComparison.Ordinal);

        var output = _dir.File("pw.out");
        var dec = await AgeTools.RunAgeOnTerminalAsync(["--decrypt", "-o", output, encrypted], "correct horse battery staple\n", _dir.Path);
        Assert.True(dec.ExitCode == 0, dec.StdoutText + dec.Stderr);
        // age opens -o lazily on the first write, so an empty plaintext leaves no file at all.
        Assert.Equal(File.ReadAllBytes(plain), File.Exists(output) ? File.ReadAllBytes(output) : []);

        var wrong = await AgeTools.RunAgeOnTerminalAsync(["--decrypt", "-o", _dir.File("wrong.out"), encrypted], "not it\n", _dir.Path);
        Assert.NotEqual(0, wrong.ExitCode);
        Assert.Contains("incorrect passphrase", wrong.StdoutText + wrong.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Chunk, false)]
    [InlineData(Chunk, true)]
    [InlineData(Chunk * 2 + 5, false)]
    [InlineData(FewMiB, false)]
    [InlineData(FewMiB, true)]
    public async Task Passphrase_age_encrypts_on_a_terminal_and_etcd_dr_decrypts(int size, bool armor)
    {
        var plain = WritePlain(size);
        var encrypted = _dir.File("age-pw.age");
        // age asks twice (passphrase, confirmation); both lines wait in the terminal's input queue.
        var enc = await AgeTools.RunAgeOnTerminalAsync(armor
            ? ["--passphrase", "--armor", "-o", encrypted, plain]
            : ["--passphrase", "-o", encrypted, plain], "s3cret phrase\ns3cret phrase\n", _dir.Path);
        Assert.True(enc.ExitCode == 0, enc.StdoutText + enc.Stderr);
        var head = File.ReadAllBytes(encrypted)[..200];
        if (armor)
            Assert.StartsWith("-----BEGIN AGE ENCRYPTED FILE-----\n", Encoding.ASCII.GetString(head), StringComparison.Ordinal);
        else
            Assert.Contains("-> scrypt ", Encoding.ASCII.GetString(head), StringComparison.Ordinal);

        var output = _dir.File("age-pw.out");
        var run = await CliHarness.RunAsync(["decrypt", "-o", output, encrypted], environment: new Dictionary<string, string> { ["ETCD_DR_PASSPHRASE"] = "s3cret phrase" });
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal(File.ReadAllBytes(plain), File.ReadAllBytes(output));

        var wrong = await CliHarness.RunAsync(["decrypt", "-o", _dir.File("wrong.out"), encrypted], environment: new Dictionary<string, string> { ["ETCD_DR_PASSPHRASE"] = "nope" });
        Assert.Equal(3, wrong.ExitCode);
        Assert.Contains("wrong passphrase", wrong.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(_dir.File("wrong.out")));
    }

    [Fact]
    public async Task Etcd_dr_prompts_for_the_passphrase_on_the_terminal_without_echo()
    {
        var plain = WritePlain(1000);
        var encrypted = _dir.File("tty.age");
        var env = new Dictionary<string, string> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" };
        // "Type" only once the prompt is on screen (echo is switched off before it is printed), so
        // that an echo, if any, would show.
        var enc = await AgeTools.RunOnTerminalAsync([AgeTools.EtcdDr, "encrypt", "-p", "--work-factor", "12", "-o", encrypted, plain],
            "typed secret\ntyped secret\n", _dir.Path, env, typeAfter: "Enter passphrase:");
        Assert.True(enc.ExitCode == 0, enc.StdoutText + enc.Stderr);
        var screen = enc.StdoutText;
        Assert.Contains("Enter passphrase:", screen, StringComparison.Ordinal);
        Assert.Contains("Confirm passphrase:", screen, StringComparison.Ordinal);
        Assert.DoesNotContain("typed secret", screen, StringComparison.Ordinal);

        var dec = await AgeTools.RunAgeOnTerminalAsync(["-d", "-o", _dir.File("tty.out"), encrypted], "typed secret\n", _dir.Path);
        Assert.True(dec.ExitCode == 0, dec.StdoutText);
        Assert.Equal(File.ReadAllBytes(plain), File.ReadAllBytes(_dir.File("tty.out")));

        var mismatch = await AgeTools.RunOnTerminalAsync([AgeTools.EtcdDr, "encrypt", "-p", "-o", _dir.File("m.age"), plain], "one\ntwo\n", _dir.Path, env);
        Assert.Equal(2, mismatch.ExitCode);
        Assert.Contains("do not match", mismatch.StdoutText, StringComparison.Ordinal);
        Assert.False(File.Exists(_dir.File("m.age")));
    }

    [Fact]
    public async Task Age_rejects_a_file_etcd_dr_rejects_too()
    {
        // Agreement on failure, not just success: a flipped payload byte fails in both tools.
        var (identity, recipient) = await AgeKeygenAsync("k.txt");
        var plain = WritePlain(Chunk + 100);
        var encrypted = _dir.File("t.age");
        Assert.Equal(0, (await CliHarness.RunAsync(["encrypt", "-r", recipient, "-o", encrypted, plain])).ExitCode);
        var bytes = File.ReadAllBytes(encrypted);
        bytes[^50] ^= 1;
        File.WriteAllBytes(encrypted, bytes);
        Assert.NotEqual(0, (await AgeProcessRunner.RunAsync(AgeTools.Age, ["-d", "-i", identity, encrypted])).ExitCode);
        var run = await CliHarness.RunAsync(["decrypt", "-i", identity, "-o", _dir.File("t.out"), encrypted]);
        Assert.Equal(3, run.ExitCode);
        Assert.False(File.Exists(_dir.File("t.out")));
    }
}
