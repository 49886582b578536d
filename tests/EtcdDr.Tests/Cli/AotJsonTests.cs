using System.Text.Json;
using System.Text.Json.Serialization;
using EtcdDr.Cli;
using EtcdDr.Cli.Restore;
using EtcdDr.Restore;

namespace EtcdDr.Tests.Cli;

/// <summary>
/// The published etcd-dr is Native AOT: JSON goes through generated contexts, and enums are names
/// only where a JsonStringEnumConverter&lt;T&gt; is listed (the reflection-based one cannot run).
/// These walk each output's type graph as the serializer resolves it, so a new enum or a type the
/// context cannot reach fails here rather than in the shipped binary.
/// </summary>
public sealed class AotJsonTests
{
    [Fact]
    public void Every_cli_json_output_resolves_and_writes_its_enums_as_names()
    {
        var roots = Roots(typeof(CliJson)).ToList();
        Assert.True(roots.Count >= 15, $"only {roots.Count} roots found on CliJson");
        var enums = roots.SelectMany(root => ReachableEnums(Output.Json, root)).Distinct().ToList();
        Assert.Contains(typeof(EtcdDr.Topology.EtcdFlavor), enums);
        Assert.Contains(typeof(StepKind), enums);
        var unnamed = enums.Where(e => !Output.EnumNames.CanConvert(e)).Select(e => e.FullName).ToList();
        Assert.True(unnamed.Count == 0, "add to Output.EnumNames: " + string.Join(", ", unnamed));
    }

    [Fact]
    public void Every_restore_journal_enum_is_written_kebab_case()
    {
        var enums = ReachableEnums(RestoreJournal.Json, typeof(JournalRecord)).Distinct().ToList();
        Assert.Contains(typeof(RestoreStrategy), enums);
        var unnamed = enums.Where(e => !JsonEnums.KebabCaseLower.CanConvert(e)).Select(e => e.FullName).ToList();
        Assert.True(unnamed.Count == 0, "add to JsonEnums.AddLibrary: " + string.Join(", ", unnamed));
    }

    [Fact]
    public void Enums_in_cli_output_are_camel_case_names_as_before()
    {
        var json = JsonSerializer.Serialize(new RestoreJournalStepJson(1, "cp-1", StepKind.StopEtcd, "stop", "done", 1.5, null),
            (System.Text.Json.Serialization.Metadata.JsonTypeInfo<RestoreJournalStepJson>)Output.Json.GetTypeInfo(typeof(RestoreJournalStepJson)));
        Assert.Contains("\"kind\": \"stopEtcd\"", json);
        Assert.DoesNotContain("\"note\"", json);
    }

    [Fact]
    public void Reflection_based_json_is_off_in_the_tests_as_in_the_published_binary()
    {
        Assert.False(JsonSerializer.IsReflectionEnabledByDefault);
    }

    private static IEnumerable<Type> Roots(Type context) =>
        context.CustomAttributes.Where(a => a.AttributeType == typeof(JsonSerializableAttribute))
            .Select(a => (Type)a.ConstructorArguments[0].Value!);

    private static IEnumerable<Type> ReachableEnums(JsonSerializerOptions options, Type root)
    {
        var seen = new HashSet<Type>();
        var queue = new Queue<Type>([root]);
        while (queue.TryDequeue(out var type))
        {
            type = Nullable.GetUnderlyingType(type) ?? type;
            if (!seen.Add(type))
                continue;
            if (type.IsEnum)
            {
                yield return type;
                continue;
            }
            var info = options.GetTypeInfo(type);
            foreach (var property in info.Properties)
                queue.Enqueue(property.PropertyType);
            if (info.ElementType is { } element)
                queue.Enqueue(element);
            if (info.KeyType is { } key)
                queue.Enqueue(key);
        }
    }
}
