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

/// <summary>Who can open the snapshot: age recipients (X25519 keys or one scrypt passphrase).</summary>
/// <param name="Recipients">The age recipients the file is encrypted to.</param>
/// <param name="Descriptions">What the manifest records about them ("age1..." strings; never a
/// passphrase).</param>
public sealed record SnapshotEncryption(IReadOnlyList<PkiVault.Age.IRecipient> Recipients, IReadOnlyList<string> Descriptions);
