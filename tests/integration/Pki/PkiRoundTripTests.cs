using System.Text.Json;
using EtcdDr.IntegrationTests.Age;

namespace EtcdDr.IntegrationTests.Pki;

/// <summary>
/// backup -> inspect -> verify -> restore, over kubeadm and Kubespray trees written by the test,
/// with the archive also opened by the real `age` and `tar` to prove it needs nothing of ours.
/// </summary>
public class PkiRoundTripTests : IDisposable
{
    private readonly AgeTempDirectory _dir = new();
    private readonly string _root;
    private readonly string _identity;
    private readonly string _recipient;

    public PkiRoundTripTests()
    {
        _root = _dir.File("root");
        Directory.CreateDirectory(_root);
        _identity = _dir.File("key.txt");
        _recipient = TestPki.WriteAgeIdentity(_identity);
    }

    public void Dispose() => _dir.Dispose();

    private static IEnumerable<string> Files(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal);

    private async Task<string> BackupAsync(string flavor)
    {
        var archive = _dir.File("pki.age");
        var run = await CliHarness.RunAsync(["pki", "backup", "--flavor", flavor, "--root", _root, "-o", archive, "-r", _recipient]);
        Assert.True(run.ExitCode == 0, run.Error + run.Output);
        Assert.Equal("600", AgeFileModes.Octal(archive));
        return archive;
    }

    private static void AssertSameTree(string expectedRoot, IReadOnlyList<string> expectedFiles, string actualRoot)
    {
        foreach (var relative in expectedFiles)
        {
            var expected = Path.Combine(expectedRoot, relative);
            var actual = Path.Combine(actualRoot, relative);
            Assert.True(File.Exists(actual), $"{relative} was not restored");
            Assert.Equal(File.ReadAllBytes(expected), File.ReadAllBytes(actual));
            Assert.Equal(AgeFileModes.Octal(expected), AgeFileModes.Octal(actual));
            Assert.Equal(File.GetLastWriteTimeUtc(expected), File.GetLastWriteTimeUtc(actual));
        }
    }

    [Fact]
    public async Task Kubeadm_tree_round_trips()
    {
        PkiTreeFactory.Kubeadm(_root);
        // An unusual owner proves uid/gid are recorded and restored. Changing owners needs root
        // (CI runs as root); elsewhere the file keeps the current user and that is what is checked.
        var etcdKey = Path.Combine(_root, "etc/kubernetes/pki/etcd/server.key");
        var isRoot = PkiVault.IO.UnixOwnership.IsRoot;
        var expectedUid = isRoot ? "1234" : GetOwner(etcdKey);
        if (isRoot)
            Assert.True(PkiVault.IO.UnixOwnership.TryChown(etcdKey, 1234, 2345), "chown failed while running as root");

        var archive = await BackupAsync("kubeadm");
        var archived = Files(_root).Where(f => !f.Contains("manifests", StringComparison.Ordinal)).ToList();
        Assert.Equal(27, archived.Count); // 22 pki files + 5 kubeconfigs

        // inspect: the manifest knows every file and every certificate's facts.
        var inspect = await CliHarness.RunAsync(["pki", "inspect", archive, "-i", _identity, "--output", "json"]);
        Assert.True(inspect.ExitCode == 0, inspect.Error);
        using var manifest = JsonDocument.Parse(inspect.Output);
        var files = manifest.RootElement.GetProperty("files").EnumerateArray().ToList();
        Assert.Equal(archived.Select(a => a.Replace('\\', '/')).Order(StringComparer.Ordinal), files.Select(f => f.GetProperty("path").GetString()!).Order(StringComparer.Ordinal));
        var apiserver = files.Single(f => f.GetProperty("path").GetString() == "etc/kubernetes/pki/apiserver.crt").GetProperty("certificates")[0];
        Assert.Equal("CN=kube-apiserver", apiserver.GetProperty("subject").GetString());
        Assert.Equal("CN=kubernetes", apiserver.GetProperty("issuer").GetString());
        Assert.Contains("IP:10.96.0.1", apiserver.GetProperty("subjectAltNames").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("etc/kubernetes/pki/apiserver.key", apiserver.GetProperty("keyPath").GetString());
        Assert.True(apiserver.GetProperty("keyMatches").GetBoolean());
        Assert.False(apiserver.GetProperty("isCa").GetBoolean());
        var serverKey = files.Single(f => f.GetProperty("path").GetString() == "etc/kubernetes/pki/etcd/server.key");
        Assert.Equal(expectedUid, serverKey.GetProperty("uid").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("0600", serverKey.GetProperty("mode").GetString());
        var admin = files.Single(f => f.GetProperty("path").GetString() == "etc/kubernetes/admin.conf");
        Assert.Equal("kubeconfig", admin.GetProperty("kind").GetString());
        Assert.Contains(admin.GetProperty("certificates").EnumerateArray(), c => c.TryGetProperty("keyMatches", out var m) && m.GetBoolean());
        Assert.Equal(64, files[0].GetProperty("sha256").GetString()!.Length);

        var table = await CliHarness.RunAsync(["pki", "inspect", archive, "-i", _identity, "--output", "table"]);
        Assert.Contains("etc/kubernetes/pki/ca.key", table.Output, StringComparison.Ordinal);
        Assert.Contains("all 27 files match the manifest", table.Output, StringComparison.Ordinal);

        // verify: the live tree and the archive are both healthy.
        var verifyRoot = await CliHarness.RunAsync(["pki", "verify", "--root", _root, "--output", "table"]);
        Assert.True(verifyRoot.ExitCode == 0, verifyRoot.Output);
        Assert.Contains("0 errors", verifyRoot.Output, StringComparison.Ordinal);
        Assert.Contains("public half of etc/kubernetes/pki/sa.key", verifyRoot.Output, StringComparison.Ordinal);
        Assert.Contains("kubelet-client-current.pem, outside the archive", verifyRoot.Output, StringComparison.Ordinal);
        var verifyArchive = await CliHarness.RunAsync(["pki", "verify", "--archive", archive, "-i", _identity, "--output", "table"]);
        Assert.True(verifyArchive.ExitCode == 0, verifyArchive.Output);

        // restore into an empty directory: byte-identical, same modes, times and owners.
        var target = _dir.File("restored");
        var restore = await CliHarness.RunAsync(["pki", "restore", archive, "--to", target, "-i", _identity]);
        Assert.True(restore.ExitCode == 0, restore.Error);
        Assert.Contains("27 placed, 0 replaced (old copies kept), 0 permissions fixed, 0 unchanged", restore.Output, StringComparison.Ordinal);
        AssertSameTree(_root, archived, target);
        Assert.Equal(archived, Files(target));
        Assert.Equal(expectedUid, GetOwner(Path.Combine(target, "etc/kubernetes/pki/etcd/server.key")));

        // restore onto a tree where one file differs: moved aside, not overwritten; others left alone.
        var modified = Path.Combine(target, "etc/kubernetes/pki/apiserver.crt");
        File.WriteAllText(modified, "locally changed\n");
        var again = await CliHarness.RunAsync(["pki", "restore", archive, "--to", target, "-i", _identity]);
        Assert.True(again.ExitCode == 0, again.Error);
        Assert.Contains("1 replaced (old copies kept), 0 permissions fixed, 26 unchanged", again.Output, StringComparison.Ordinal);
        var aside = Directory.GetFiles(Path.GetDirectoryName(modified)!, "apiserver.crt.dr-*");
        Assert.Single(aside);
        Assert.Matches(@"apiserver\.crt\.dr-\d{8}T\d{6}Z$", aside[0]);
        Assert.Equal("locally changed\n", File.ReadAllText(aside[0]));
        Assert.Equal(File.ReadAllBytes(Path.Combine(_root, "etc/kubernetes/pki/apiserver.crt")), File.ReadAllBytes(modified));
        Assert.Contains($"the old file was moved to {aside[0]}", again.Output, StringComparison.Ordinal);

        // The operator's emergency path: age + tar only.
        await AssertOpensWithAgeAndTarAsync(archive, archived);
    }

    [Fact]
    public async Task Kubespray_tree_round_trips_with_auto_flavor()
    {
        PkiTreeFactory.Kubespray(_root);
        var archive = await BackupAsync("auto");
        var archived = Files(_root).ToList();
        Assert.Contains("etc/etcd.env", archived);

        var inspect = await CliHarness.RunAsync(["pki", "inspect", archive, "-i", _identity, "--output", "json"]);
        using var manifest = JsonDocument.Parse(inspect.Output);
        Assert.Equal("kubespray", manifest.RootElement.GetProperty("flavor").GetString());
        var member = manifest.RootElement.GetProperty("files").EnumerateArray().Single(f => f.GetProperty("path").GetString() == "etc/ssl/etcd/ssl/member-node1.pem");
        Assert.Equal("etc/ssl/etcd/ssl/member-node1-key.pem", member.GetProperty("certificates")[0].GetProperty("keyPath").GetString());
        Assert.True(member.GetProperty("certificates")[0].GetProperty("keyMatches").GetBoolean());
        var env = manifest.RootElement.GetProperty("files").EnumerateArray().Single(f => f.GetProperty("path").GetString() == "etc/etcd.env");
        Assert.Equal("0640", env.GetProperty("mode").GetString());

        var verify = await CliHarness.RunAsync(["pki", "verify", "--archive", archive, "-i", _identity, "--output", "table"]);
        Assert.True(verify.ExitCode == 0, verify.Output);

        var target = _dir.File("restored");
        var restore = await CliHarness.RunAsync(["pki", "restore", archive, "--to", target, "-i", _identity]);
        Assert.True(restore.ExitCode == 0, restore.Error);
        AssertSameTree(_root, archived, target);
        await AssertOpensWithAgeAndTarAsync(archive, archived);
    }

    [Fact]
    public async Task Passphrase_archive_round_trips()
    {
        PkiTreeFactory.Kubeadm(_root);
        var pw = _dir.File("pw");
        File.WriteAllText(pw, "pki passphrase\n");
        var archive = _dir.File("pki-pw.age");
        var run = await CliHarness.RunAsync(["pki", "backup", "--root", _root, "-o", archive, "--passphrase-file", pw, "--work-factor", "12", "--armor"]);
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.StartsWith("-----BEGIN AGE ENCRYPTED FILE-----", File.ReadAllText(archive), StringComparison.Ordinal);
        var restore = await CliHarness.RunAsync(["pki", "restore", archive, "--to", _dir.File("r"), "--passphrase-file", pw]);
        Assert.True(restore.ExitCode == 0, restore.Error);
        var wrong = await CliHarness.RunAsync(["pki", "inspect", archive], environment: new Dictionary<string, string> { ["ETCD_DR_PASSPHRASE"] = "nope" });
        Assert.Equal(3, wrong.ExitCode);
    }

    private async Task AssertOpensWithAgeAndTarAsync(string archive, IReadOnlyList<string> archived)
    {
        var tarFile = _dir.File("pki.tar");
        var dec = await AgeProcessRunner.RunAsync(AgeTools.Age, ["--decrypt", "-i", _identity, "-o", tarFile, archive]);
        Assert.True(dec.ExitCode == 0, dec.Stderr);
        var extracted = _dir.File("untarred");
        Directory.CreateDirectory(extracted);
        var untar = await AgeProcessRunner.RunAsync(AgeTools.Tar, ["--extract", "--same-permissions", "--numeric-owner", "--file", tarFile, "--directory", extracted]);
        Assert.True(untar.ExitCode == 0, untar.Stderr);
        Assert.True(File.Exists(Path.Combine(extracted, "etcd-dr-pki-manifest.json")));
        AssertSameTree(_root, archived, extracted);
        var listing = await AgeProcessRunner.RunAsync(AgeTools.Tar, ["--list", "--file", tarFile]);
        Assert.StartsWith("etcd-dr-pki-manifest.json\n", listing.StdoutText, StringComparison.Ordinal);
    }

    private static string GetOwner(string path)
    {
        var stat = AgeProcessRunner.RunAsync("stat", ["-c", "%u", path]).GetAwaiter().GetResult();
        return stat.StdoutText.Trim();
    }
}
