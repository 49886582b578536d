using PkiVault.Archive;

namespace PkiVault.Tests.Archive;

public sealed class LocalDirectorySourceTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("pki-source-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Write(string relative, string content, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, mode);
        return path;
    }

    private async Task<(List<PkiSourceFile> Files, List<string> Notes)> EnumerateAsync(IReadOnlyList<PkiPattern> patterns)
    {
        var notes = new List<string>();
        var files = new List<PkiSourceFile>();
        await foreach (var f in new LocalDirectorySource(_root, patterns).EnumerateAsync(notes.Add, CancellationToken.None))
            files.Add(f);
        return (files, notes);
    }

    [Fact]
    public async Task Kubeadm_selection_takes_pki_and_the_five_kubeconfigs_only()
    {
        Write("etc/kubernetes/pki/ca.crt", "c", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        Write("etc/kubernetes/pki/etcd/ca.key", "k");
        Write("etc/kubernetes/admin.conf", "a");
        Write("etc/kubernetes/manifests/etcd.yaml", "m");
        Write("etc/kubernetes/other.conf", "o");
        var (files, notes) = await EnumerateAsync(PkiLayout.Kubeadm);
        Assert.Equal(["etc/kubernetes/pki/ca.crt", "etc/kubernetes/pki/etcd/ca.key", "etc/kubernetes/admin.conf"], files.Select(f => f.Path));
        Assert.Equal("0644", PkiManifestBuilder.FormatMode(files[0].Metadata.Mode));
        Assert.Equal(1, files[0].Metadata.Size);
        Assert.Contains("skipped etc/kubernetes/scheduler.conf (not present)", notes);
        Assert.Equal(PkiFlavor.Kubeadm, PkiLayout.Detect(_root));
    }

    [Fact]
    public async Task Symbolic_links_are_followed_and_dangling_ones_noted()
    {
        var target = Write("var/lib/real.pem", "real");
        Directory.CreateDirectory(Path.Combine(_root, "etc/kubernetes/pki"));
        File.CreateSymbolicLink(Path.Combine(_root, "etc/kubernetes/pki/link.pem"), target);
        File.CreateSymbolicLink(Path.Combine(_root, "etc/kubernetes/pki/dangling.pem"), Path.Combine(_root, "nowhere"));
        var (files, notes) = await EnumerateAsync(PkiLayout.Kubeadm);
        var link = Assert.Single(files);
        Assert.Equal("etc/kubernetes/pki/link.pem", link.Path);
        await using var stream = await link.OpenAsync(CancellationToken.None);
        Assert.Equal("real", await new StreamReader(stream).ReadToEndAsync());
        Assert.Contains(notes, n => n.Contains("dangling", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Oversized_file_is_refused_before_it_is_read()
    {
        var path = Path.Combine(_root, "etc/kubernetes/pki/huge.bin");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (var f = File.Create(path))
            f.SetLength(PkiArchiveWriter.MaxFileSize + 1L);
        await Assert.ThrowsAsync<PkiArchiveException>(() => EnumerateAsync(PkiLayout.Kubeadm));
    }

    [Fact]
    public void Kubespray_is_detected_by_its_etcd_folder_or_env_file()
    {
        Write("etc/etcd.env", "ETCD_NAME=x\n");
        Assert.Equal(PkiFlavor.Kubespray, PkiLayout.Detect(_root));
    }
}
