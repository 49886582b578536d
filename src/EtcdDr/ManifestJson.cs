using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace EtcdDr;

/// <summary>
/// How etcd-dr writes and reads the small JSON manifests beside its backups (snapshots, PKI
/// archives): one format rule for both, and one set of errors a reader can act on.
/// </summary>
public static class ManifestJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = EtcdDrJson.Default,
    };

    /// <summary>T must be listed in <see cref="EtcdDrJson"/>.</summary>
    public static string Serialize<T>(T manifest) => JsonSerializer.Serialize(manifest, Info<T>());

    private static JsonTypeInfo<T> Info<T>() => (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));

    /// <summary>Parses a manifest; a damaged one is an integrity failure, a newer format a usage one.</summary>
    /// <param name="what">e.g. "snapshot manifest", for messages.</param>
    public static T Parse<T>(string json, string source, string what, Func<T, int> format, int currentFormat) where T : class
    {
        try
        {
            var manifest = JsonSerializer.Deserialize(json, Info<T>())
                ?? throw new DrException($"{source}: empty manifest", FailureKind.Integrity);
            var version = format(manifest);
            if (version > currentFormat)
                throw new DrException($"{source}: manifest format {version} is newer than this etcd-dr understands ({currentFormat}); upgrade etcd-dr", FailureKind.Usage);
            return manifest;
        }
        catch (JsonException ex)
        {
            throw new DrException($"{source}: not a valid {what} ({ex.Message})", FailureKind.Integrity, ex);
        }
    }
}
