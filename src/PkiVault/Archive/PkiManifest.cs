using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace PkiVault.Archive;

/// <summary>
/// The first entry of every PKI archive: what was archived and what it is, so an archive can be
/// inspected and checked without extracting it, and every file verified before it is placed.
/// </summary>
public sealed record PkiManifest(
    int FormatVersion,
    DateTimeOffset CreatedUtc,
    string Flavor,
    string Source,
    IReadOnlyList<PkiManifestFile> Files)
{
    public const string EntryName = "etcd-dr-pki-manifest.json";
    public const int CurrentFormat = 1;

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // Generated at build time: the published etcd-dr is Native AOT (no reflection-based JSON).
        TypeInfoResolver = PkiVaultJson.Default,
    };

    public static JsonTypeInfo<PkiManifest> JsonInfo => (JsonTypeInfo<PkiManifest>)Json.GetTypeInfo(typeof(PkiManifest));
}

[JsonSerializable(typeof(PkiManifest))]
internal sealed partial class PkiVaultJson : JsonSerializerContext;

/// <summary>One archived file. Mode is octal text ("0600") because that is how operators read it.</summary>
public sealed record PkiManifestFile(
    string Path,
    string Mode,
    int Uid,
    int Gid,
    long Size,
    DateTimeOffset ModifiedUtc,
    string Sha256,
    string Kind,
    bool ContainsSecret,
    IReadOnlyList<PkiCertificateSummary>? Certificates);

/// <summary>
/// A certificate found in a file (or embedded in a kubeconfig). KeyPath names where its private key
/// is in the archive (null if absent); KeyMatches says whether that key belongs to this certificate.
/// </summary>
public sealed record PkiCertificateSummary(
    string Source,
    string Subject,
    string Issuer,
    IReadOnlyList<string> SubjectAltNames,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    string Serial,
    bool IsCa,
    string? KeyPath,
    bool? KeyMatches);
