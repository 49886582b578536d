namespace EtcdDr.Snapshots;

/// <summary>
/// The sidecar written next to every snapshot (FILE.manifest.json). It is written last, after the
/// data is complete and checked, so a snapshot without a manifest never counts as good.
/// Ids are hex strings, as etcdctl prints them.
/// </summary>
public sealed record SnapshotManifest
{
    public const int CurrentFormat = 1;
    public const string Suffix = ".manifest.json";

    public int Format { get; init; } = CurrentFormat;
    public required string ClusterId { get; init; }
    public required string MemberId { get; init; }
    public string? MemberName { get; init; }
    public required string Endpoint { get; init; }
    public required string EtcdVersion { get; init; }
    /// <summary>Store revision reported by the member just before the stream began. The snapshot
    /// holds at least this revision (writes that landed meanwhile may be in it too).</summary>
    public required long Revision { get; init; }
    public required ulong RaftIndex { get; init; }
    public required ulong RaftTerm { get; init; }
    /// <summary>The member's backend size as reported by Status (bytes allocated by bbolt).</summary>
    public required long DbSize { get; init; }
    /// <summary>Bytes of the file as stored (including the trailer; after encryption when encrypted).</summary>
    public required long FileSize { get; init; }
    /// <summary>SHA-256 of the file as stored.</summary>
    public required string FileSha256 { get; init; }
    /// <summary>Bytes of the plain snapshot (bbolt db plus 32-byte trailer).</summary>
    public required long SnapshotSize { get; init; }
    /// <summary>etcd's own trailer: SHA-256 of the bbolt db, checked while streaming.</summary>
    public required string SnapshotSha256Trailer { get; init; }
    public bool Encrypted { get; init; }
    public IReadOnlyList<string>? Recipients { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public double DurationSeconds { get; init; }
    public required string ToolVersion { get; init; }


    public static string PathFor(string snapshotPath) => snapshotPath + Suffix;

    public string ToJson() => ManifestJson.Serialize(this);

    public static SnapshotManifest Parse(string json, string source) =>
        ManifestJson.Parse<SnapshotManifest>(json, source, "snapshot manifest", m => m.Format, CurrentFormat);
}
