using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text.Json;
using PkiVault.Archive;
using PkiVault.IO;

namespace PkiVault.Tests.Archive;

/// <summary>
/// pki restore's placing phase: modes and owners are corrected even when the content is already
/// right, keys always end up 0600, and a failure midway leaves the tree exactly as it was.
/// </summary>
public sealed class PkiRestoreTests : IDisposable
{
    private const UnixFileMode Mode600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Mode644 = Mode600 | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private readonly string _target = Directory.CreateTempSubdirectory("pki-restore-").FullName;

    public void Dispose() => Directory.Delete(_target, recursive: true);

    private sealed record Entry(string Path, byte[] Data, string Mode = "0644", bool Secret = false, int Uid = 0, int Gid = 0);

    private static byte[] Tar(params Entry[] entries)
    {
        var manifest = new PkiManifest(1, DateTimeOffset.UnixEpoch, "kubeadm", "test",
            [.. entries.Select(e => new PkiManifestFile(e.Path, e.Mode, e.Uid, e.Gid, e.Data.Length, DateTimeOffset.UnixEpoch,
                Convert.ToHexStringLower(SHA256.HashData(e.Data)), e.Secret ? "private-key" : "other", e.Secret, null))]);
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, PkiManifest.EntryName) { DataStream = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(manifest, PkiManifest.Json)) });
            foreach (var e in entries)
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, e.Path) { DataStream = new MemoryStream(e.Data) });
        }
        return stream.ToArray();
    }

    private Task<IReadOnlyList<PkiRestoreStep>> RestoreAsync(byte[] tar) =>
        PkiRestorer.RestoreAsync(new MemoryStream(tar), _target, TimeProvider.System, CancellationToken.None);

    private string At(string relative) => Path.Combine(_target, relative);

    private void Existing(string relative, byte[] data, UnixFileMode mode)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(At(relative))!);
        File.WriteAllBytes(At(relative), data);
        File.SetUnixFileMode(At(relative), mode);
    }

    /// <summary>Every entry under the target with its content hash (or "dir") and mode, to compare before and after.</summary>
    private List<string> Snapshot() =>
        [.. Directory.EnumerateFileSystemEntries(_target, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(p =>
        {
            var kind = Directory.Exists(p) ? "dir" : Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(p)));
            UnixOwnership.TryGetOwner(p, out var uid, out var gid);
            return $"{Path.GetRelativePath(_target, p)} {kind} {PkiManifestBuilder.FormatMode(File.GetUnixFileMode(p))} {uid}:{gid}";
        })];

    [Fact]
    public async Task A_key_recorded_0644_is_restored_0600()
    {
        var steps = await RestoreAsync(Tar(new Entry("pki/ca.key", "KEY"u8.ToArray(), Mode: "0644", Secret: true), new Entry("pki/ca.crt", "CRT"u8.ToArray(), Mode: "0644")));
        Assert.Equal(Mode600, File.GetUnixFileMode(At("pki/ca.key")));
        Assert.Equal(Mode644, File.GetUnixFileMode(At("pki/ca.crt")));
        Assert.Equal(["0600", "0644"], steps.Select(s => s.Mode));
    }

    [Fact]
    public async Task Identical_files_with_a_wrong_mode_are_fixed_not_reported_unchanged()
    {
        Existing("pki/ca.key", "KEY"u8.ToArray(), Mode644);     // a key left world-readable
        Existing("pki/ca.crt", "CRT"u8.ToArray(), Mode600);     // a certificate recorded 0644
        Existing("pki/ok.crt", "OK"u8.ToArray(), Mode644);
        var steps = await RestoreAsync(Tar(
            new Entry("pki/ca.crt", "CRT"u8.ToArray(), Mode: "0644"),
            new Entry("pki/ca.key", "KEY"u8.ToArray(), Mode: "0644", Secret: true),
            new Entry("pki/ok.crt", "OK"u8.ToArray(), Mode: "0644")));
        Assert.Equal([PkiRestoreAction.PermissionsFixed, PkiRestoreAction.PermissionsFixed, PkiRestoreAction.Unchanged], steps.Select(s => s.Action));
        Assert.Equal(Mode600, File.GetUnixFileMode(At("pki/ca.key")));
        Assert.Equal(Mode644, File.GetUnixFileMode(At("pki/ca.crt")));
        Assert.Empty(Directory.GetFiles(At("pki"), "*.dr-*"));
    }

    [Fact]
    public async Task Identical_files_with_a_wrong_owner_are_chowned_as_root_and_left_otherwise()
    {
        Existing("pki/etcd.key", "KEY"u8.ToArray(), Mode600);
        Assert.True(UnixOwnership.TryGetOwner(At("pki/etcd.key"), out var myUid, out var myGid));
        // Not root: the file cannot be given away, so it is owned by us and the record names someone else.
        var (recordUid, recordGid) = UnixOwnership.IsRoot ? (1234, 2345) : (myUid + 1, myGid + 1);
        if (UnixOwnership.IsRoot)
            Assert.True(UnixOwnership.TryChown(At("pki/etcd.key"), 4321, 4321));
        var steps = await RestoreAsync(Tar(new Entry("pki/etcd.key", "KEY"u8.ToArray(), Mode: "0600", Secret: true, Uid: recordUid, Gid: recordGid)));
        Assert.True(UnixOwnership.TryGetOwner(At("pki/etcd.key"), out var uid, out var gid));
        if (UnixOwnership.IsRoot)
        {
            Assert.Equal(PkiRestoreAction.PermissionsFixed, Assert.Single(steps).Action);
            Assert.Equal((1234, 2345), (uid, gid));
        }
        else
        {
            Assert.Equal(PkiRestoreAction.Unchanged, Assert.Single(steps).Action);
            Assert.Equal((myUid, myGid), (uid, gid));
        }
    }

    [Fact]
    public async Task A_failure_while_placing_rolls_back_every_step_in_reverse()
    {
        Existing("pki/a.crt", "old a"u8.ToArray(), Mode644);   // differs: would be moved aside
        Existing("pki/b.key", "B"u8.ToArray(), Mode644);       // same content, wrong mode: would be fixed
        Directory.CreateDirectory(At("pki/z.crt"));           // a directory where the last file goes
        if (UnixOwnership.IsRoot)
            Assert.True(UnixOwnership.TryChown(At("pki/b.key"), 4321, 4321));
        var before = Snapshot();

        var ex = await Assert.ThrowsAsync<PkiArchiveException>(() => RestoreAsync(Tar(
            new Entry("pki/a.crt", "new a"u8.ToArray()),
            new Entry("pki/b.key", "B"u8.ToArray(), Secret: true),
            new Entry("pki/new/c.crt", "C"u8.ToArray()),
            new Entry("pki/z.crt", "Z"u8.ToArray()))));

        Assert.False(ex.IsIntegrityFailure);
        Assert.Contains("could not place pki/z.crt", ex.Message, StringComparison.Ordinal);
        Assert.Contains("rolled back, the target is as it was", ex.Message, StringComparison.Ordinal);
        // Same entries, contents, modes and owners: no aside copies, no staging files, no new folder.
        Assert.Equal(before, Snapshot());
    }

    [Theory]
    [InlineData("0789")]
    [InlineData("rw-r--r--")]
    [InlineData("")]
    [InlineData("-644")]
    public async Task A_malformed_recorded_mode_is_an_integrity_error_and_places_nothing(string mode)
    {
        var ex = await Assert.ThrowsAsync<PkiArchiveException>(() => RestoreAsync(Tar(
            new Entry("pki/a.crt", "A"u8.ToArray()), new Entry("pki/b.key", "B"u8.ToArray(), Mode: mode, Secret: true))));
        Assert.True(ex.IsIntegrityFailure);
        Assert.Contains($"malformed mode '{mode}' for pki/b.key", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(_target));
    }
}
