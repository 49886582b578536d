using System.Text.Json;
using EtcdDr.IntegrationTests.Age;
using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.IntegrationTests.Stores;
using EtcdDr.Storage;

namespace EtcdDr.IntegrationTests.Pki;

/// <summary>
/// `pki backup --to` a local directory and Azurite: the same encrypted archive lands as
/// &lt;cluster&gt;/pki/&lt;time&gt;.tar.age with its manifest in both, `pki list` calls it verified,
/// and the real `age` and `tar` bring back exactly the files of the tree.
/// </summary>
[Collection(StoreEnvironmentCollection.Name)]
public sealed class PkiStoreBackupTests(AzuriteFixture azure) : IClassFixture<AzuriteFixture>, IDisposable
{
    private readonly AgeTempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static EnvironmentScope AzureKey() => new(new Dictionary<string, string?>
    {
        ["AZURE_STORAGE_KEY"] = Azurite.AccountKey,
        ["AZURE_STORAGE_CONNECTION_STRING"] = null,
        ["AZURE_STORAGE_SAS_TOKEN"] = null,
    });

    private (string Root, string Identity, string Recipient) Tree()
    {
        var root = _dir.File("root");
        Directory.CreateDirectory(root);
        PkiTreeFactory.Kubeadm(root);
        var identity = _dir.File("key.txt");
        return (root, identity, TestPki.WriteAgeIdentity(identity));
    }

    private static async Task<string> SingleVerifiedArchiveAsync(string url)
    {
        var list = await CliRunner.RunAsync("pki", "list", "--from", url, "--cluster", "prod", "--output", "json");
        Assert.True(list.ExitCode == 0, list.ToString());
        using var json = JsonDocument.Parse(list.Stdout);
        var archive = Assert.Single(json.RootElement.GetProperty("archives").EnumerateArray());
        Assert.True(archive.GetProperty("verified").GetBoolean(), list.Stdout);
        Assert.Empty(json.RootElement.GetProperty("incomplete").EnumerateArray());
        var key = archive.GetProperty("key").GetString()!;
        Assert.Matches(@"^prod/pki/\d{8}T\d{6}Z\.tar\.age$", key);
        return key;
    }

    [Fact]
    public async Task Backup_to_a_directory_and_azure_stores_one_archive_that_age_and_tar_open()
    {
        var (root, identity, recipient) = Tree();
        var local = _dir.File("store");
        var prefix = $"pki-{Guid.NewGuid():N}";
        var azureUrl = azure.Server.Url(AzuriteFixture.Container, prefix);
        using var environment = AzureKey();

        var backup = await CliRunner.RunAsync("pki", "backup", "--flavor", "kubeadm", "--root", root, "-r", recipient, "--cluster", "prod",
            "--to", "file://" + local, "--to", azureUrl);
        Assert.True(backup.ExitCode == 0, backup.ToString());

        var key = await SingleVerifiedArchiveAsync("file://" + local);
        Assert.Equal(key, await SingleVerifiedArchiveAsync(azureUrl));
        var fromDisk = await File.ReadAllBytesAsync(Path.Combine(local, key));
        Assert.Equal("600", AgeFileModes.Octal(Path.Combine(local, key)));
        byte[] fromAzure;
        await using (var store = new AzureBlobStore(azure.Server.Options(AzuriteFixture.Container, prefix)))
        await using (var stream = await store.OpenReadAsync(key, default))
        using (var copy = new MemoryStream())
        {
            await stream.CopyToAsync(copy);
            fromAzure = copy.ToArray();
        }
        Assert.Equal(fromDisk, fromAzure); // encrypted once, the same bytes everywhere
        Assert.StartsWith("age-encryption.org/v1\n", System.Text.Encoding.ASCII.GetString(fromAzure, 0, 22), StringComparison.Ordinal);

        var archive = _dir.File("fetched.tar.age");
        await File.WriteAllBytesAsync(archive, fromAzure);
        var tar = _dir.File("pki.tar");
        var decrypt = await AgeProcessRunner.RunAsync(AgeTools.Age, ["--decrypt", "-i", identity, "-o", tar, archive]);
        Assert.True(decrypt.ExitCode == 0, decrypt.Stderr);
        var extracted = _dir.File("untarred");
        Directory.CreateDirectory(extracted);
        var untar = await AgeProcessRunner.RunAsync(AgeTools.Tar, ["--extract", "--file", tar, "--directory", extracted]);
        Assert.True(untar.ExitCode == 0, untar.Stderr);
        var expected = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f)).Where(f => !f.Contains("manifests", StringComparison.Ordinal)).ToList();
        Assert.Equal(27, expected.Count);
        foreach (var relative in expected)
            Assert.Equal(File.ReadAllBytes(Path.Combine(root, relative)), File.ReadAllBytes(Path.Combine(extracted, relative)));
    }

    [Fact]
    public async Task A_plaintext_archive_is_never_sent_to_a_store()
    {
        var (root, _, _) = Tree();
        var local = _dir.File("store");
        var backup = await CliRunner.RunAsync("pki", "backup", "--flavor", "kubeadm", "--root", root, "--cluster", "prod", "--to", "file://" + local);
        Assert.True(backup.ExitCode == 2, backup.ToString());
        Assert.False(Directory.Exists(local) && Directory.EnumerateFiles(local, "*", SearchOption.AllDirectories).Any());
    }

    [Fact]
    public async Task Backup_to_a_store_needs_a_cluster_name()
    {
        var (root, _, recipient) = Tree();
        var backup = await CliRunner.RunAsync("pki", "backup", "--flavor", "kubeadm", "--root", root, "-r", recipient, "--to", "file://" + _dir.File("store"));
        Assert.True(backup.ExitCode == 2, backup.ToString());
        Assert.Contains("--cluster", backup.Stderr);
    }

    [Fact]
    public async Task A_destination_that_cannot_be_written_fails_alone()
    {
        var (root, _, recipient) = Tree();
        File.WriteAllText(_dir.File("not-a-dir"), "x");
        var bad = "file://" + Path.Combine(_dir.File("not-a-dir"), "store");
        var good = "file://" + _dir.File("store");
        var backup = await CliRunner.RunAsync("pki", "backup", "--flavor", "kubeadm", "--root", root, "-r", recipient, "--cluster", "prod", "--to", bad, "--to", good);
        Assert.True(backup.ExitCode == 6, backup.ToString());
        Assert.Contains("not-a-dir", backup.Stderr);
        await SingleVerifiedArchiveAsync(good);
    }
}
