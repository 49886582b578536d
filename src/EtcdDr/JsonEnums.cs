using System.Text.Json;
using System.Text.Json.Serialization;

namespace EtcdDr;

/// <summary>
/// Enums written as names, one converter per listed enum. The non-generic JsonStringEnumConverter
/// builds its converters with MakeGenericType at run time, which Native AOT (the published etcd-dr)
/// cannot do; JsonStringEnumConverter&lt;TEnum&gt; is generated ahead of time. An enum that reaches
/// JSON unlisted is written as a number: the unit tests walk each output's type graph to catch it.
/// </summary>
public sealed class JsonEnums(JsonNamingPolicy policy) : JsonConverterFactory
{
    private readonly Dictionary<Type, JsonConverterFactory> _byType = [];

    public static JsonEnums KebabCaseLower => new JsonEnums(JsonNamingPolicy.KebabCaseLower).AddLibrary();

    public IEnumerable<Type> Types => _byType.Keys;

    public JsonEnums Add<TEnum>() where TEnum : struct, Enum
    {
        _byType[typeof(TEnum)] = new JsonStringEnumConverter<TEnum>(policy);
        return this;
    }

    /// <summary>The enums of EtcdDr and PkiVault that records carry.</summary>
    public JsonEnums AddLibrary() => Add<Topology.EtcdFlavor>().Add<Restore.StepKind>().Add<Restore.RestoreStrategy>().Add<FailureKind>()
        .Add<Remote.RemoteFailure>().Add<Snapshots.VerifyVerdict>().Add<Snapshots.InputFileType>().Add<Schedule.RunOutcome>()
        .Add<Drill.DrillScenarioKind>().Add<Drill.DrillFaultKind>().Add<Topology.Runtimes.StaticPodParking.Place>()
        .Add<PkiVault.Archive.PkiSeverity>().Add<PkiVault.Archive.PkiFlavor>().Add<PkiVault.Archive.PkiRestoreAction>();

    public override bool CanConvert(Type typeToConvert) => _byType.ContainsKey(typeToConvert);

    public override JsonConverter? CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        _byType[typeToConvert].CreateConverter(typeToConvert, options);
}
