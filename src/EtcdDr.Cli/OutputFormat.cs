using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace EtcdDr.Cli;

public enum OutputFormat
{
    /// <summary>A table when stdout is a terminal, JSON when it is piped or redirected.</summary>
    Auto,
    Table,
    Json,
}

public static class Output
{
    public static Option<OutputFormat> CreateOption() => new("--output")
    {
        Description = "table or json; by default a table on a terminal and JSON when piped",
        DefaultValueFactory = _ => OutputFormat.Auto,
    };

    public static bool IsJson(OutputFormat format) =>
        format == OutputFormat.Json || (format == OutputFormat.Auto && Console.IsOutputRedirected);

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { EnumNames },
        // Output is read by people and jq, not embedded in HTML: keep '+' and '…' as they are.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = CliJson.Default,
    };

    /// <summary>Every enum an output can carry, written camelCase.</summary>
    public static JsonEnums EnumNames => new JsonEnums(JsonNamingPolicy.CamelCase).AddLibrary()
        .Add<Lab.LabFlavor>().Add<Lab.LabBreakKind>().Add<Lab.UnitState>().Add<OutputFormat>();

    /// <summary>T must be listed in <see cref="CliJson"/> (a missing one fails every test of that output).</summary>
    public static void WriteJson<T>(TextWriter writer, T value) =>
        writer.WriteLine(JsonSerializer.Serialize(value, (JsonTypeInfo<T>)Json.GetTypeInfo(typeof(T))));
}
