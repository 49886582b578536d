using System.Text.Json.Serialization;
using EtcdDr.Drill;
using EtcdDr.Pki;
using EtcdDr.Restore;
using EtcdDr.Snapshots;

namespace EtcdDr;

/// <summary>
/// Every type the library writes or reads as JSON, with its serializer generated at build time: the
/// published etcd-dr is Native AOT, where reflection-based System.Text.Json is switched off. A type
/// missing here fails at run time with "JsonTypeInfo metadata for type ... was not provided"; the
/// unit tests run with reflection off too, so they find it first.
/// </summary>
[JsonSerializable(typeof(SnapshotManifest))]
[JsonSerializable(typeof(PkiBackupManifest))]
[JsonSerializable(typeof(DrillReport))]
[JsonSerializable(typeof(JournalRecord))]
internal sealed partial class EtcdDrJson : JsonSerializerContext;
