using EtcdDr.IntegrationTests.Age;

namespace EtcdDr.IntegrationTests.Pki;

/// <summary>pki restore through the CLI: a world-readable key, in the archive or on disk, ends up 0600.</summary>
public sealed class PkiRestoreModeTests : IDisposable
{
    private const string CaKey = "etc/kubernetes/pki/ca.key";
    private readonly AgeTempDirectory _dir = new();
    private readonly string _root;
    private readonly string _identity;
    private readonly string _recipient;

    public PkiRestoreModeTests()
    {
        _root = _dir.File("root");
        PkiTreeFactory.Kubeadm(_root);
        _identity = _dir.File("key.txt");
        _recipient = TestPki.WriteAgeIdentity(_identity);
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_key_archived_0644_and_one_left_0644_on_disk_are_restored_0600()
    {
        // The live key was world-readable when backed up: the manifest records 0644.
        File.SetUnixFileMode(Path.Combine(_root, CaKey), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var archive = _dir.File("pki.age");
        var backup = await CliHarness.RunAsync(["pki", "backup", "--flavor", "kubeadm", "--root", _root, "-o", archive, "-r", _recipient]);
        Assert.True(backup.ExitCode == 0, backup.Error);
        var inspect = await CliHarness.RunAsync(["pki", "inspect", archive, "-i", _identity, "--output", "json"]);
        Assert.Contains("\"mode\": \"0644\"", inspect.Output.Split("\"path\": \"" + CaKey + "\"")[1].Split('}')[0], StringComparison.Ordinal);

        var target = _dir.File("restored");
        var first = await CliHarness.RunAsync(["pki", "restore", archive, "--to", target, "-i", _identity]);
        Assert.True(first.ExitCode == 0, first.Error);
        Assert.Equal("600", AgeFileModes.Octal(Path.Combine(target, CaKey)));
        Assert.Contains($"placed     {CaKey} (0600)", first.Output, StringComparison.Ordinal);

        // Someone loosened it afterwards; the content is identical, so only the mode is wrong.
        File.SetUnixFileMode(Path.Combine(target, CaKey), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var again = await CliHarness.RunAsync(["pki", "restore", archive, "--to", target, "-i", _identity]);
        Assert.True(again.ExitCode == 0, again.Error);
        Assert.Contains($"fixed      {CaKey}", again.Output, StringComparison.Ordinal);
        Assert.Contains("0 replaced (old copies kept), 1 permissions fixed, 26 unchanged", again.Output, StringComparison.Ordinal);
        Assert.Equal("600", AgeFileModes.Octal(Path.Combine(target, CaKey)));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(Path.Combine(target, CaKey))!, "ca.key.dr-*"));
    }

    [Fact]
    public async Task A_failure_while_placing_leaves_the_target_as_it_was()
    {
        var archive = _dir.File("pki.age");
        Assert.Equal(0, (await CliHarness.RunAsync(["pki", "backup", "--flavor", "kubeadm", "--root", _root, "-o", archive, "-r", _recipient])).ExitCode);
        var target = _dir.File("restored");
        Assert.Equal(0, (await CliHarness.RunAsync(["pki", "restore", archive, "--to", target, "-i", _identity])).ExitCode);
        // One file differs (would be moved aside) and the last one in the archive is blocked by a directory.
        File.WriteAllText(Path.Combine(target, "etc/kubernetes/admin.conf"), "local edit\n");
        var last = Directory.EnumerateFiles(target, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(target, f)).Order(StringComparer.Ordinal).Last();
        File.Delete(Path.Combine(target, last));
        Directory.CreateDirectory(Path.Combine(target, last));
        var before = Tree(target);

        var run = await CliHarness.RunAsync(["pki", "restore", archive, "--to", target, "-i", _identity]);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"could not place {last}", run.Error, StringComparison.Ordinal);
        Assert.Contains("rolled back, the target is as it was", run.Error, StringComparison.Ordinal);
        Assert.Equal(before, Tree(target));
    }

    private static List<string> Tree(string root) =>
        [.. Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(p => $"{Path.GetRelativePath(root, p)} {(Directory.Exists(p) ? "dir" : File.ReadAllText(p).GetHashCode(StringComparison.Ordinal).ToString(System.Globalization.CultureInfo.InvariantCulture))} {AgeFileModes.Octal(p)}")];
}
