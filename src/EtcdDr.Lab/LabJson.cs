using System.Text.Json.Serialization;

namespace EtcdDr.Lab;

/// <summary>
/// The control channel's messages, generated at build time: the published etcd-dr is Native AOT,
/// where reflection-based System.Text.Json is switched off (the lab runs inside that same binary).
/// Compact on purpose: one message per line.
/// </summary>
[JsonSerializable(typeof(ControlReply))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
internal sealed partial class LabJson : JsonSerializerContext;

/// <summary>STATE/lab.json, indented for the people who read it.</summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(LabState))]
internal sealed partial class LabStateJson : JsonSerializerContext;
