using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PkiVault.Archive;

namespace PkiVault.Tests.Archive;

public class PkiArchiveTests
{
    private static async Task<(PkiManifest Manifest, byte[] Tar)> WriteAsync(FakePkiSource source)
    {
        var tar = new MemoryStream();
        var manifest = await PkiArchiveWriter.WriteAsync(source, "kubeadm", tar, TimeProvider.System, _ => { }, CancellationToken.None);
        return (manifest, tar.ToArray());
    }

    private static FakePkiSource Sample()
    {
        var source = new FakePkiSource();
        source.Files["etc/kubernetes/pki/a.txt"] = Encoding.ASCII.GetBytes("alpha\n");
        source.Files["etc/kubernetes/pki/b.txt"] = Encoding.ASCII.GetBytes("bravo\n");
        return source;
    }

    [Fact]
    public async Task Manifest_is_the_first_entry_and_files_follow_with_metadata()
    {
        var (manifest, tar) = await WriteAsync(Sample());
        var reader = new TarReader(new MemoryStream(tar));
        var first = await reader.GetNextEntryAsync();
        Assert.Equal(PkiManifest.EntryName, first!.Name);
        Assert.Equal(TarEntryFormat.Pax, first.Format);
        var second = await reader.GetNextEntryAsync();
        Assert.Equal("etc/kubernetes/pki/a.txt", second!.Name);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, second.Mode);
        Assert.Equal(new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero), second.ModificationTime);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData("alpha\n"u8)), manifest.Files[0].Sha256);
        Assert.Equal("0600", manifest.Files[0].Mode);
    }

    [Fact]
    public async Task Reader_returns_every_file_checked()
    {
        var (_, tar) = await WriteAsync(Sample());
        var seen = new List<string>();
        await PkiArchiveReader.ReadAsync(new MemoryStream(tar), null, f => { seen.Add(f.Record.Path + "=" + Encoding.ASCII.GetString(f.Data)); return Task.CompletedTask; }, CancellationToken.None);
        Assert.Equal(["etc/kubernetes/pki/a.txt=alpha\n", "etc/kubernetes/pki/b.txt=bravo\n"], seen);
    }

    [Fact]
    public async Task File_changing_between_passes_fails_the_backup()
    {
        var source = Sample();
        source.BeforeEnumeration = pass =>
        {
            if (pass == 1)
                source.Files["etc/kubernetes/pki/b.txt"] = "changed\n"u8.ToArray();
        };
        var ex = await Assert.ThrowsAsync<PkiArchiveException>(() => WriteAsync(source));
        Assert.Contains("b.txt changed during the backup", ex.Message, StringComparison.Ordinal);
        Assert.True(ex.IsIntegrityFailure);
    }

    [Fact]
    public async Task File_appearing_between_passes_fails_the_backup()
    {
        var source = Sample();
        source.BeforeEnumeration = pass =>
        {
            if (pass == 1)
                source.Files["etc/kubernetes/pki/c.txt"] = "new\n"u8.ToArray();
        };
        await Assert.ThrowsAsync<PkiArchiveException>(() => WriteAsync(source));
    }

    [Fact]
    public async Task Empty_source_is_refused()
    {
        var ex = await Assert.ThrowsAsync<PkiArchiveException>(() => WriteAsync(new FakePkiSource()));
        Assert.False(ex.IsIntegrityFailure);
    }

    /// <summary>Builds a tar by hand so the reader can be fed archives our writer would never produce.</summary>
    private static byte[] CraftTar(PkiManifest? manifest, params (string Name, byte[] Data)[] entries)
    {
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            if (manifest is not null)
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, PkiManifest.EntryName) { DataStream = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(manifest, PkiManifest.Json)) });
            foreach (var (name, data) in entries)
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
        }
        return stream.ToArray();
    }

    private static PkiManifest ManifestFor(params (string Name, byte[] Data)[] files) => new(1, DateTimeOffset.UnixEpoch, "kubeadm", "test",
        [.. files.Select(f => new PkiManifestFile(f.Name, "0644", 0, 0, f.Data.Length, DateTimeOffset.UnixEpoch, Convert.ToHexStringLower(SHA256.HashData(f.Data)), "other", false, null))]);

    private static Task<PkiArchiveException> ReadFails(byte[] tar) =>
        Assert.ThrowsAsync<PkiArchiveException>(() => PkiArchiveReader.ReadAsync(new MemoryStream(tar), null, null, CancellationToken.None));

    [Fact]
    public async Task Reader_rejects_a_file_whose_hash_differs_from_the_manifest()
    {
        var manifest = ManifestFor(("a", "good"u8.ToArray()));
        var ex = await ReadFails(CraftTar(manifest, ("a", "evil"u8.ToArray())));
        Assert.Contains("SHA-256 does not match", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reader_rejects_missing_extra_duplicate_and_unlisted_entries()
    {
        var a = ("a", "aaa"u8.ToArray());
        var b = ("b", "bbb"u8.ToArray());
        Assert.Contains("lacks", (await ReadFails(CraftTar(ManifestFor(a, b), a))).Message, StringComparison.Ordinal);
        Assert.Contains("not in the manifest", (await ReadFails(CraftTar(ManifestFor(a), a, b))).Message, StringComparison.Ordinal);
        Assert.Contains("twice", (await ReadFails(CraftTar(ManifestFor(a), a, a))).Message, StringComparison.Ordinal);
        Assert.Contains("first entry is not the manifest", (await ReadFails(CraftTar(null, a))).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("garble")]
    [InlineData("cut")]
    public async Task Reader_turns_a_garbled_or_cut_tar_into_an_integrity_error(string damage)
    {
        var a = ("a", "aaa"u8.ToArray());
        var tar = CraftTar(ManifestFor(a), a);
        // The last entry's header block is the one whose name field reads "a".
        var header = Enumerable.Range(0, tar.Length / 512).Select(i => i * 512).Last(o => tar[o] == (byte)'a' && tar[o + 1] == 0);
        if (damage == "garble")
        {
            for (var i = header; i < header + 512; i++)
                tar[i] = (byte)(i * 7 + 3);
        }
        else
        {
            tar = tar[..(header + 300)];
        }
        var ex = await ReadFails(tar);
        Assert.True(ex.IsIntegrityFailure);
        Assert.Contains("malformed", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("etc/../../x")]
    [InlineData("etc//x")]
    [InlineData("./x")]
    public void Restore_refuses_paths_outside_the_target(string path)
    {
        Assert.Throws<PkiArchiveException>(() => PkiRestorer.SafeJoin("/tmp/target", path));
    }

    [Fact]
    public async Task Restore_of_a_traversal_entry_places_nothing()
    {
        var evil = ("../escaped.txt", "x"u8.ToArray());
        var target = Directory.CreateTempSubdirectory("pki-restore-").FullName;
        try
        {
            var ex = await Assert.ThrowsAsync<PkiArchiveException>(() =>
                PkiRestorer.RestoreAsync(new MemoryStream(CraftTar(ManifestFor(evil), evil)), target, TimeProvider.System, CancellationToken.None));
            Assert.Contains("unsafe path", ex.Message, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(target, "..", "escaped.txt")));
            Assert.Empty(Directory.GetFileSystemEntries(target));
        }
        finally
        {
            Directory.Delete(target, recursive: true);
        }
    }

    [Fact]
    public async Task Restore_stages_everything_before_placing_anything()
    {
        // The second file fails its hash: the first, already staged, must not be placed either.
        var a = ("dir/a", "aaa"u8.ToArray());
        var manifest = ManifestFor(a, ("dir/b", "bbb"u8.ToArray()));
        var target = Directory.CreateTempSubdirectory("pki-restore-").FullName;
        try
        {
            await Assert.ThrowsAsync<PkiArchiveException>(() =>
                PkiRestorer.RestoreAsync(new MemoryStream(CraftTar(manifest, a, ("dir/b", "BAD"u8.ToArray()))), target, TimeProvider.System, CancellationToken.None));
            Assert.Empty(Directory.GetFileSystemEntries(target, "*", SearchOption.AllDirectories));
        }
        finally
        {
            Directory.Delete(target, recursive: true);
        }
    }
}
