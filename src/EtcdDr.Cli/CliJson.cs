using System.Text.Json.Serialization;
using EtcdDr.Cli.Drill;
using EtcdDr.Cli.Restore;
using EtcdDr.Cli.Snapshot;

namespace EtcdDr.Cli;

/// <summary>
/// Every value a command writes with --output json, its serializer generated at build time: the
/// published etcd-dr is Native AOT, where reflection-based System.Text.Json is off. Anonymous types
/// cannot be listed here, hence the small *Json records beside the commands.
/// </summary>
[JsonSerializable(typeof(InventoryCheckJson))]
[JsonSerializable(typeof(IEnumerable<DiscoveredJson>))]
[JsonSerializable(typeof(SnapshotListJson))]
[JsonSerializable(typeof(SnapshotVerifyJson))]
[JsonSerializable(typeof(SnapshotSaveJson))]
[JsonSerializable(typeof(PruneJson))]
[JsonSerializable(typeof(IEnumerable<DrillOutcomeJson>))]
[JsonSerializable(typeof(PkiListJson))]
[JsonSerializable(typeof(PkiCheckJson))]
[JsonSerializable(typeof(PkiVault.Archive.PkiManifest))]
[JsonSerializable(typeof(LabUpJson))]
[JsonSerializable(typeof(EtcdDr.Lab.LabStatusReport))]
[JsonSerializable(typeof(EtcdDr.Etcd.ClusterStatusReport))]
[JsonSerializable(typeof(RestorePlanJson))]
[JsonSerializable(typeof(RestoreJournalJson))]
internal sealed partial class CliJson : JsonSerializerContext;
