using EtcdDr.IntegrationTests.Age;

namespace EtcdDr.IntegrationTests.Pki;

/// <summary>What pki verbs do with broken trees, damaged archives and bad arguments.</summary>
public class PkiFailureTests : IDisposable
{
    private readonly AgeTempDirectory _dir = new();
    private readonly string _root;
    private readonly string _identity;
    private readonly string _recipient;

    public PkiFailureTests()
    {
        _root = _dir.File("root");
        Directory.CreateDirectory(_root);
        _identity = _dir.File("key.txt");
        _recipient = TestPki.WriteAgeIdentity(_identity);
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Verify_reports_expired_expiring_foreign_and_mismatched_certificates()
    {
        const string pki = "etc/kubernetes/pki/";
        var ca = TestPki.Ca("kubernetes");
        PkiTreeFactory.Write(_root, pki + "ca.crt", ca.CertPem, PkiTreeFactory.Public);
        PkiTreeFactory.Write(_root, pki + "ca.key", ca.KeyPem, PkiTreeFactory.Key);
        var expired = TestPki.Leaf(ca, "CN=expired", true, false, notBefore: DateTimeOffset.UtcNow.AddDays(-400), notAfter: DateTimeOffset.UtcNow.AddDays(-2));
        PkiTreeFactory.Write(_root, pki + "expired.crt", expired.CertPem, PkiTreeFactory.Public);
        PkiTreeFactory.Write(_root, pki + "expired.key", expired.KeyPem, PkiTreeFactory.Key);
        var soon = TestPki.Leaf(ca, "CN=soon", true, false, notAfter: DateTimeOffset.UtcNow.AddDays(10));
        PkiTreeFactory.Write(_root, pki + "soon.crt", soon.CertPem, PkiTreeFactory.Public);
        PkiTreeFactory.Write(_root, pki + "soon.key", soon.KeyPem, PkiTreeFactory.Key);
        var foreign = TestPki.Leaf(TestPki.Ca("someone-else"), "CN=foreign", true, false);
        PkiTreeFactory.Write(_root, pki + "foreign.crt", foreign.CertPem, PkiTreeFactory.Public);
        PkiTreeFactory.Write(_root, pki + "foreign.key", foreign.KeyPem, PkiTreeFactory.Key);
        var swapped = TestPki.Leaf(ca, "CN=swapped", true, false);
        PkiTreeFactory.Write(_root, pki + "swapped.crt", swapped.CertPem, PkiTreeFactory.Public);
        PkiTreeFactory.Write(_root, pki + "swapped.key", TestPki.Leaf(ca, "CN=other", true, false).KeyPem, PkiTreeFactory.Key);
        using var sa = System.Security.Cryptography.RSA.Create(2048);
        using var otherSa = System.Security.Cryptography.RSA.Create(2048);
        PkiTreeFactory.Write(_root, pki + "sa.key", sa.ExportRSAPrivateKeyPem(), PkiTreeFactory.Key);
        PkiTreeFactory.Write(_root, pki + "sa.pub", otherSa.ExportSubjectPublicKeyInfoPem(), PkiTreeFactory.Public);

        var run = await CliHarness.RunAsync(["pki", "verify", "--root", _root, "--flavor", "kubeadm", "--output", "table"]);
        Assert.Equal(3, run.ExitCode);
        Assert.Matches(@"FAIL expiry etc/kubernetes/pki/expired\.crt: expired on", run.Output);
        Assert.Matches(@"WARN expiry etc/kubernetes/pki/soon\.crt: expires in 1\d days", run.Output);
        Assert.Matches(@"FAIL chain  etc/kubernetes/pki/foreign\.crt: does not chain to a CA in the set \(issuer CN=someone-else\)", run.Output);
        Assert.Matches(@"FAIL key    etc/kubernetes/pki/swapped\.crt: key etc/kubernetes/pki/swapped\.key does NOT belong", run.Output);
        Assert.Matches(@"FAIL key    etc/kubernetes/pki/sa\.pub: is NOT the public half of etc/kubernetes/pki/sa\.key", run.Output);
        Assert.Contains("4 errors", run.Output, StringComparison.Ordinal);
        Assert.Contains("ok   chain  etc/kubernetes/pki/soon.crt", run.Output, StringComparison.Ordinal);

        // --warn-days moves the threshold; JSON output carries the same findings.
        var json = await CliHarness.RunAsync(["pki", "verify", "--root", _root, "--warn-days", "5", "--output", "json"]);
        Assert.Equal(3, json.ExitCode);
        using var doc = System.Text.Json.JsonDocument.Parse(json.Output);
        var soonExpiry = doc.RootElement.GetProperty("findings").EnumerateArray()
            .Single(f => f.GetProperty("path").GetString() == "etc/kubernetes/pki/soon.crt" && f.GetProperty("check").GetString() == "expiry");
        Assert.Equal("ok", soonExpiry.GetProperty("severity").GetString());
    }

    [Theory]
    [InlineData(0.05)]
    [InlineData(0.5)]
    [InlineData(0.99)]
    public async Task Damaged_archive_restores_nothing(double where)
    {
        PkiTreeFactory.Kubeadm(_root);
        var archive = _dir.File("pki.age");
        Assert.Equal(0, (await CliHarness.RunAsync(["pki", "backup", "--root", _root, "-o", archive, "-r", _recipient])).ExitCode);
        var bytes = File.ReadAllBytes(archive);
        bytes[(int)(bytes.Length * where)] ^= 0x10;
        File.WriteAllBytes(archive, bytes);

        var target = _dir.File("target");
        var run = await CliHarness.RunAsync(["pki", "restore", archive, "--to", target, "-i", _identity]);
        Assert.Equal(3, run.ExitCode);
        Assert.StartsWith("etcd-dr: ", run.Error, StringComparison.Ordinal);
        // Not a file, not even a folder made for staging, is left behind.
        Assert.Empty(Directory.Exists(target) ? Directory.GetFileSystemEntries(target, "*", SearchOption.AllDirectories) : []);
    }

    [Fact]
    public async Task Truncated_archive_restores_nothing_and_inspect_fails()
    {
        PkiTreeFactory.Kubespray(_root);
        var archive = _dir.File("pki.age");
        Assert.Equal(0, (await CliHarness.RunAsync(["pki", "backup", "--root", _root, "-o", archive, "-r", _recipient])).ExitCode);
        var bytes = File.ReadAllBytes(archive);
        File.WriteAllBytes(archive, bytes[..(bytes.Length - 100)]);
        var target = _dir.File("target");
        var run = await CliHarness.RunAsync(["pki", "restore", archive, "--to", target, "-i", _identity]);
        Assert.Equal(3, run.ExitCode);
        Assert.Empty(Directory.GetFileSystemEntries(target, "*", SearchOption.AllDirectories));
        Assert.Equal(3, (await CliHarness.RunAsync(["pki", "inspect", archive, "-i", _identity])).ExitCode);
    }

    [Fact]
    public async Task Wrong_identity_is_an_integrity_error()
    {
        PkiTreeFactory.Kubeadm(_root);
        var archive = _dir.File("pki.age");
        Assert.Equal(0, (await CliHarness.RunAsync(["pki", "backup", "--root", _root, "-o", archive, "-r", _recipient])).ExitCode);
        var other = _dir.File("other.txt");
        TestPki.WriteAgeIdentity(other);
        var run = await CliHarness.RunAsync(["pki", "inspect", archive, "-i", other]);
        Assert.Equal(3, run.ExitCode);
        Assert.Contains("wrong identity", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Empty_selection_is_an_error_and_missing_files_are_noted()
    {
        var archive = _dir.File("pki.age");
        var empty = await CliHarness.RunAsync(["pki", "backup", "--root", _root, "-o", archive, "-r", _recipient]);
        Assert.Equal(2, empty.ExitCode);
        Assert.Contains("nothing to back up", empty.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(archive));
        Assert.Empty(Directory.GetFiles(_dir.Path, "*.part"));

        PkiTreeFactory.Write(_root, "etc/kubernetes/admin.conf", TestPki.Kubeconfig(TestPki.Ca("k"), TestPki.Leaf(TestPki.Ca("k"), "CN=a", false, true), "a"), PkiTreeFactory.Key);
        var partial = await CliHarness.RunAsync(["pki", "backup", "--root", _root, "-o", archive, "-r", _recipient]);
        Assert.Equal(0, partial.ExitCode);
        Assert.Contains("note: skipped etc/kubernetes/pki/ (not present)", partial.Error, StringComparison.Ordinal);
        Assert.Contains("note: skipped etc/kubernetes/scheduler.conf (not present)", partial.Error, StringComparison.Ordinal);
        Assert.Contains("Archived 1 files", partial.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Existing_archive_is_refused_without_force()
    {
        PkiTreeFactory.Kubeadm(_root);
        var archive = _dir.File("pki.age");
        File.WriteAllText(archive, "older archive");
        var run = await CliHarness.RunAsync(["pki", "backup", "--root", _root, "-o", archive, "-r", _recipient]);
        Assert.Equal(5, run.ExitCode);
        Assert.Equal("older archive", File.ReadAllText(archive));
        Assert.Equal(0, (await CliHarness.RunAsync(["pki", "backup", "--root", _root, "-o", archive, "-r", _recipient, "--force"])).ExitCode);
    }

    [Fact]
    public async Task Bad_arguments_are_usage_errors()
    {
        Assert.Equal(2, (await CliHarness.RunAsync(["pki", "verify"])).ExitCode);
        Assert.Equal(2, (await CliHarness.RunAsync(["pki", "verify", "--root", _dir.File("missing")])).ExitCode);
        Assert.Equal(2, (await CliHarness.RunAsync(["pki", "backup", "--root", _root, "-o", _dir.File("x.age"), "-r", "age1bogus"])).ExitCode);
        Assert.Equal(2, (await CliHarness.RunAsync(["pki", "backup", "--root", _root, "-o", _dir.File("x.age")])).ExitCode);
    }
}
