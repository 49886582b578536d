using System.Text.Json;
using System.Text.Json.Serialization;

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

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static PkiBackupManifest Parse(string json, string source)
    {
        try
        {
            var manifest = JsonSerializer.Deserialize<PkiBackupManifest>(json, Json)
                ?? throw new DrException($"{source}: empty manifest", FailureKind.Integrity);
            return manifest.Format <= CurrentFormat
                ? manifest
                : throw new DrException($"{source}: manifest format {manifest.Format} is newer than this etcd-dr understands; upgrade etcd-dr", FailureKind.Usage);
        }
        catch (JsonException ex)
        {
            throw new DrException($"{source}: not a valid PKI backup manifest ({ex.Message})", FailureKind.Integrity, ex);
        }
    }
}
