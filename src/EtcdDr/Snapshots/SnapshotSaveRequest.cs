namespace EtcdDr.Snapshots;

/// <summary>
/// What `snapshot save` should do. Defaults are the safe ones.
/// </summary>
/// <param name="OutputPath">Where the snapshot goes. The manifest goes to OutputPath + ".manifest.json".</param>
/// <param name="Overwrite">Replace an existing file (--force). Default false: an existing file is
/// refused, because it may be the only good backup. Even with true, the old file stays in place
/// until the new snapshot is complete and checked.</param>
/// <param name="Encryption">Wraps the file stream so bytes are encrypted before they reach the disk;
/// null writes plaintext (and the CLI warns: a snapshot holds every Kubernetes Secret).</param>
public sealed record SnapshotSaveRequest(
    string OutputPath,
    bool Overwrite = false,
    SnapshotEncryption? Encryption = null);

/// <summary>An encrypting wrapper and a description of who can open the result.</summary>
/// <param name="Wrap">Returns a writable stream that encrypts into the given one; disposing it
/// finishes the ciphertext without closing the inner stream.</param>
/// <param name="Recipients">Recipient strings recorded in the manifest (never secrets).</param>
public sealed record SnapshotEncryption(Func<Stream, Stream> Wrap, IReadOnlyList<string> Recipients);
