namespace EtcdDr.Snapshots;

/// <summary>
/// What `snapshot save` should do. Defaults are the safe ones.
/// </summary>
/// <param name="Destinations">Every copy to write: a local file (-o, refused when it exists unless
/// --force, and even then the old file stays until the new one is complete) and/or store keys
/// (--to). etcd streams once; each destination gets the same bytes.</param>
/// <param name="Encryption">Wraps the stream so bytes are encrypted before they reach any
/// destination; null writes plaintext (and the CLI warns: a snapshot holds every Kubernetes Secret).</param>
public sealed record SnapshotSaveRequest(IReadOnlyList<ISnapshotDestination> Destinations, SnapshotEncryption? Encryption = null)
{
    /// <summary>One local file, the `snapshot save -o FILE` case.</summary>
    public static SnapshotSaveRequest ToFile(string path, bool overwrite = false, SnapshotEncryption? encryption = null) =>
        new([new LocalFileDestination(path, overwrite)], encryption);
}

/// <summary>An encrypting wrapper and a description of who can open the result.</summary>
/// <param name="Wrap">Returns a writable stream that encrypts into the given one; disposing it
/// finishes the ciphertext without closing the inner stream.</param>
/// <param name="Recipients">Recipient strings recorded in the manifest (never secrets).</param>
public sealed record SnapshotEncryption(Func<Stream, Stream> Wrap, IReadOnlyList<string> Recipients);
