using System.Formats.Tar;
using System.Runtime.CompilerServices;

namespace PkiVault.Archive;

/// <summary>
/// Reads a PKI selection from a local directory tree. Ownership is read the way tar reads it,
/// by letting System.Formats.Tar describe the file (.NET has no public stat for uid/gid).
/// Symbolic links are followed to their target's content and metadata.
/// </summary>
public sealed class LocalDirectorySource(string root, IReadOnlyList<PkiPattern> patterns) : IPkiSource
{
    public string Root { get; } = Path.GetFullPath(root);

    public string Description => Root;

    public async IAsyncEnumerable<PkiSourceFile> EnumerateAsync(Action<string> note, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pattern in patterns)
        {
            var full = Path.Combine(Root, pattern.RelativePath);
            IEnumerable<string> files;
            if (pattern.IsDirectory)
            {
                if (!Directory.Exists(full))
                {
                    note($"skipped {pattern.RelativePath}/ (not present)");
                    continue;
                }
                files = Directory.EnumerateFiles(full, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
                    .Order(StringComparer.Ordinal);
            }
            else
            {
                if (!File.Exists(full))
                {
                    note($"skipped {pattern.RelativePath} (not present)");
                    continue;
                }
                files = [full];
            }
            foreach (var file in files)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var relative = Path.GetRelativePath(Root, file).Replace(Path.DirectorySeparatorChar, '/');
                if (!seen.Add(relative))
                    continue;
                var target = ResolveLinks(file);
                if (target is null)
                {
                    note($"skipped {relative} (dangling symbolic link)");
                    continue;
                }
                // Checked before anything reads the file: a huge file here is a mistake, not PKI.
                if (new FileInfo(target).Length > PkiArchiveWriter.MaxFileSize)
                    throw new PkiArchiveException($"{relative} is larger than {PkiArchiveWriter.MaxFileSize / (1024 * 1024)} MiB; that is not a PKI file", isIntegrityFailure: false);
                var metadata = await ReadMetadataAsync(target, cancellationToken).ConfigureAwait(false);
                yield return new PkiSourceFile(relative, metadata, ct => Task.FromResult<Stream>(
                    new FileStream(target, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.Asynchronous)));
            }
        }
    }

    private static string? ResolveLinks(string file)
    {
        var info = new FileInfo(file);
        if (info.LinkTarget is null)
            return file;
        var final = info.ResolveLinkTarget(returnFinalTarget: true);
        return final is { Exists: true } ? final.FullName : null;
    }

    private static async Task<PkiFileMetadata> ReadMetadataAsync(string path, CancellationToken cancellationToken)
    {
        // Let tar describe the file into memory, then read the entry back: uid, gid, mode, mtime,
        // size. PKI files are a few KiB, so the copy of the content this costs does not matter.
        var scratch = new MemoryStream();
        var writer = new TarWriter(scratch, TarEntryFormat.Pax, leaveOpen: true);
        await using (writer.ConfigureAwait(false))
            await writer.WriteEntryAsync(path, "x", cancellationToken).ConfigureAwait(false);
        scratch.Position = 0;
        var reader = new TarReader(scratch);
        await using (reader.ConfigureAwait(false))
        {
            var read = await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false)
                ?? throw new IOException($"could not read metadata of {path}");
            return new PkiFileMetadata(read.Mode, read.Uid, read.Gid, read.ModificationTime.ToUniversalTime(), read.Length);
        }
    }
}
