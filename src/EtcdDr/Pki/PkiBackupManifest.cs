namespace EtcdDr.Pki;

/// <summary>
/// Written beside a PKI archive in a store (<c>KEY.manifest.json</c>), after the archive: its
/// presence, with a matching size, is what makes `pki list` call the archive complete. It names
/// the archive's size and SHA-256 (of the encrypted bytes, so it can be checked without a key)
/// and nothing secret.
/// </summary>
public sealed record PkiBackupManifest
{
    public const int CurrentFormat = 1;

    public int Format { get; init; } = CurrentFormat;
    public required string Cluster { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required string Flavor { get; init; }
    public required string Source { get; init; }
    public required int Files { get; init; }
    public required long FileSize { get; init; }
    public required string FileSha256 { get; init; }
    public required IReadOnlyList<string> Recipients { get; init; }
    public required string ToolVersion { get; init; }

    public string ToJson() => ManifestJson.Serialize(this);

    public static PkiBackupManifest Parse(string json, string source) =>
        ManifestJson.Parse<PkiBackupManifest>(json, source, "PKI backup manifest", m => m.Format, CurrentFormat);
}
