namespace PkiVault.Archive;

/// <summary>Ownership, permissions and times as tar records them.</summary>
public sealed record PkiFileMetadata(UnixFileMode Mode, int Uid, int Gid, DateTimeOffset ModifiedUtc, long Size);

/// <summary>One file of a PKI tree: where it goes in the archive, its metadata, and how to read it.</summary>
public sealed record PkiSourceFile(string Path, PkiFileMetadata Metadata, Func<CancellationToken, Task<Stream>> OpenAsync);

/// <summary>
/// Where PKI files come from: a local directory today, a master over SSH later. The archive
/// writer enumerates twice (hashes first, then contents), so an enumeration must be repeatable;
/// a file that changes between the two passes fails the backup.
/// </summary>
public interface IPkiSource
{
    /// <summary>Human-readable name for messages and the manifest (a directory or host:path).</summary>
    string Description { get; }

    /// <summary>Files in a stable order. Optional paths that are missing are reported via <paramref name="note"/>.</summary>
    IAsyncEnumerable<PkiSourceFile> EnumerateAsync(Action<string> note, CancellationToken cancellationToken);
}
