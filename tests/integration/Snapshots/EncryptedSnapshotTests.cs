using System.Text;
using EtcdDr.IntegrationTests.Age;
using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Snapshots;
using EtcdDr.Storage;
using PkiVault.Age;

namespace EtcdDr.IntegrationTests.Snapshots;

/// <summary>
/// `snapshot save -r age1...`: encrypted while streaming, opened by the real `age` CLI, and what it
/// decrypts to restores with the real etcdctl. Verify checks the manifest without a key and the
/// trailer inside with one.
/// </summary>
public sealed class EncryptedSnapshotTests(SingleMemberClusterFixture fixture) : IClassFixture<SingleMemberClusterFixture>
{
    private EtcdCluster Cluster => fixture.Cluster;

    private static (string Recipient, string IdentityFile) NewKey(TempDirectory dir, string name)
    {
        var identity = X25519Identity.Generate();
        var path = dir.Combine(name + ".key");
        File.WriteAllText(path, identity.ToString() + "\n");
        return (identity.Recipient.ToString()!, path);
    }

    [Fact]
    public async Task Encrypted_snapshot_decrypts_with_age_and_restores_with_etcdctl()
    {
        var keys = await Cluster.PutKeysAsync(200, "/enc/");
        using var dir = TempDirectory.Create();
        var (recipient, identity) = NewKey(dir, "ops");
        var path = dir.Combine("snap.db.age");

        var save = await CliRunner.RunAsync(["snapshot", "save", .. CliRunner.ConnectionArgs(Cluster), "-o", path, "-r", recipient, "--output", "json"]);

        Assert.True(save.ExitCode == 0, save.ToString());
        Assert.DoesNotContain("not encrypted", save.Stderr);
        Assert.StartsWith("age-encryption.org/v1\n", Encoding.ASCII.GetString(File.ReadAllBytes(path), 0, 22));
        var manifest = SnapshotManifest.Parse(File.ReadAllText(SnapshotManifest.PathFor(path)), "m");
        Assert.True(manifest.Encrypted);
        Assert.Equal([recipient], manifest.Recipients);

        var plain = dir.Combine("snap.db");
        var age = await ProcessRunner.RunAsync(AgeTools.Age, ["-d", "-i", identity, "-o", plain, path]);
        Assert.True(age.ExitCode == 0, age.ToString());
        Assert.Equal(manifest.SnapshotSize, new FileInfo(plain).Length);
        await using var restored = await SnapshotRestore.RestoreAndStartAsync(plain);
        Assert.Equal(keys.Count, await restored.CountKeysAsync("/enc/"));

        var withoutKey = await CliRunner.RunAsync("snapshot", "verify", path, "--output", "table");
        Assert.True(withoutKey.ExitCode == 0, withoutKey.ToString());
        Assert.Contains("--   trailer", withoutKey.Stdout);
        var withKey = await CliRunner.RunAsync("snapshot", "verify", path, "--identity", identity, "--output", "table");
        Assert.True(withKey.ExitCode == 0, withKey.ToString());
        Assert.Contains("ok   trailer", withKey.Stdout);

        var (_, wrongIdentity) = NewKey(dir, "someone-else");
        var wrong = await CliRunner.RunAsync("snapshot", "verify", path, "--identity", wrongIdentity);
        Assert.True(wrong.ExitCode == 3, wrong.ToString());
    }

    [Fact]
    public async Task Verify_without_manifest_or_key_says_so_and_with_a_key_catches_tampering()
    {
        await Cluster.PutKeysAsync(50, "/enc-verify/");
        using var dir = TempDirectory.Create();
        var (recipient, identity) = NewKey(dir, "ops");
        var path = dir.Combine("snap.db.age");
        var save = await CliRunner.RunAsync(["snapshot", "save", .. CliRunner.ConnectionArgs(Cluster), "-o", path, "-r", recipient]);
        Assert.True(save.ExitCode == 0, save.ToString());
        File.Delete(SnapshotManifest.PathFor(path));

        // No manifest, no key: nothing can be checked, and the output says why instead of INVALID.
        var blind = await CliRunner.RunAsync("snapshot", "verify", path, "--output", "table");
        Assert.True(blind.ExitCode == 2, blind.ToString());
        Assert.Contains("encrypted: cannot check etcd's trailer without --identity", blind.Stdout);
        Assert.Contains("NOT VERIFIED", blind.Stdout);
        Assert.DoesNotContain("INVALID", blind.Stdout);
        var intact = await CliRunner.RunAsync("snapshot", "verify", path, "--identity", identity, "--output", "table");
        Assert.True(intact.ExitCode == 0, intact.ToString());
        Assert.Contains("ok   trailer", intact.Stdout);

        // One flipped bit in the last chunk: the age tag fails, reported as a FAIL line, exit 3.
        var bytes = File.ReadAllBytes(path);
        bytes[^40] ^= 0x01;
        File.WriteAllBytes(path, bytes);
        var tampered = await CliRunner.RunAsync("snapshot", "verify", path, "--identity", identity, "--output", "table");
        Assert.True(tampered.ExitCode == 3, tampered.ToString());
        Assert.Contains("FAIL decrypt", tampered.Stdout);
        Assert.Contains("INVALID", tampered.Stdout);
    }

    [Fact]
    public async Task Save_with_a_passphrase_from_the_environment_opens_with_age_on_a_terminal()
    {
        await Cluster.PutKeysAsync(20, "/enc-pw/");
        using var dir = TempDirectory.Create();
        var path = dir.Combine("snap.db.age");
        var env = new Dictionary<string, string> { ["ETCD_DR_PASSPHRASE"] = "snapshot passphrase" };

        // -p without a passphrase source (no variable, no terminal) is refused before anything is written.
        var none = await CliHarness.RunAsync(["snapshot", "save", .. CliRunner.ConnectionArgs(Cluster), "-o", path, "-p"]);
        Assert.True(none.ExitCode == 2, none.Error);
        Assert.Contains("no passphrase", none.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(path));

        var save = await CliHarness.RunAsync(["snapshot", "save", .. CliRunner.ConnectionArgs(Cluster), "-o", path, "-p"], environment: env);
        Assert.True(save.ExitCode == 0, save.Error);
        Assert.DoesNotContain("not encrypted", save.Error, StringComparison.Ordinal);
        Assert.Contains("\n-> scrypt ", Encoding.ASCII.GetString(File.ReadAllBytes(path), 0, 100), StringComparison.Ordinal);
        Assert.True(SnapshotManifest.Parse(File.ReadAllText(SnapshotManifest.PathFor(path)), "m").Encrypted);

        var verify = await CliHarness.RunAsync(["snapshot", "verify", path, "-p", "--output", "table"], environment: env);
        Assert.True(verify.ExitCode == 0, verify.Output + verify.Error);
        Assert.Contains("ok   trailer", verify.Output, StringComparison.Ordinal);

        var plain = dir.Combine("snap.db");
        var age = await AgeTools.RunAgeOnTerminalAsync(["-d", "-o", plain, path], "snapshot passphrase\n", dir.Path);
        Assert.True(age.ExitCode == 0, age.StdoutText + age.Stderr);
        Assert.Equal(SnapshotManifest.Parse(File.ReadAllText(SnapshotManifest.PathFor(path)), "m").SnapshotSize, new FileInfo(plain).Length);
    }

    [Fact]
    public async Task Store_copies_are_encrypted_and_keyed_dot_age()
    {
        using var dir = TempDirectory.Create();
        var (recipient, _) = NewKey(dir, "ops");
        var save = await CliRunner.RunAsync(["snapshot", "save", .. CliRunner.ConnectionArgs(Cluster), "--cluster", "prod", "--to", "file://" + dir.Combine("store"), "-r", recipient]);
        Assert.True(save.ExitCode == 0, save.ToString());
        var catalog = await SnapshotCatalog.ReadAsync(new LocalDirStore(dir.Combine("store")), "prod", default);
        var entry = Assert.Single(catalog.Snapshots);
        Assert.True(entry.Encrypted && entry.Verified);
        Assert.EndsWith(".db.age", entry.Key);
    }

    [Fact]
    public async Task A_malformed_recipient_is_refused_before_streaming()
    {
        using var dir = TempDirectory.Create();
        var path = dir.Combine("s.db.age");
        var save = await CliRunner.RunAsync(["snapshot", "save", .. CliRunner.ConnectionArgs(Cluster), "-o", path, "-r", "age1notarecipient"]);
        Assert.True(save.ExitCode == 2, save.ToString());
        Assert.False(File.Exists(path));
    }
}
