using System.CommandLine;
using EtcdDr.Snapshots;
using EtcdDr.Storage;

namespace EtcdDr.Cli.Snapshot;

public static class FetchCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var from = new Option<string>("--from") { Description = "store URL", Required = true };
        var cluster = SnapshotCommands.ClusterOption();
        var which = new Argument<string>("SNAPSHOT") { Description = "key or file name from `snapshot list`, or 'latest' (newest verified)", DefaultValueFactory = _ => "latest" };
        var file = new Option<string>("--output-file", "-o") { Description = "local file to write", Required = true };
        var force = new Option<bool>("--force") { Description = "replace an existing file" };
        var command = new Command("fetch", "Download a snapshot and its manifest from a store, checking the SHA-256 on the way; nothing is left at FILE unless it matches\n" +
            "Exit codes: 0 fetched; 3 the download does not match its manifest; 5 FILE exists");
        command.Arguments.Add(which);
        foreach (var option in new Option[] { from, cluster, file, force })
            command.Options.Add(option);
        command.SetAction(Guarded.Action(error, async (parse, ct) =>
        {
            await using var stores = new OpenedStores();
            var store = stores.Open(parse.GetValue(from)!);
            var catalog = await SnapshotCatalog.ReadAsync(store, SnapshotCommands.RequireCluster(parse.GetValue(cluster), "fetch"), ct).ConfigureAwait(false);
            var entry = catalog.Find(parse.GetValue(which)!);
            var manifest = entry.Manifest ?? throw new DrException($"{entry.Key}: {entry.Problem}", FailureKind.Integrity);
            var path = parse.GetValue(file)!;
            await using (var part = PartFile.Create(path, parse.GetValue(force)))
            {
                await using (var source = await store.OpenReadAsync(entry.Key, ct).ConfigureAwait(false))
                using (var hashing = new HashingWriteStream(part.Stream, leaveOpen: true))
                {
                    await source.CopyToAsync(hashing, 1 << 20, ct).ConfigureAwait(false);
                    if (hashing.BytesWritten != manifest.FileSize || hashing.Sha256Hex() != manifest.FileSha256)
                        throw new DrException($"{entry.Key}: downloaded {hashing.BytesWritten} bytes hashing to {hashing.Sha256Hex()}, the manifest says {manifest.FileSize} bytes and {manifest.FileSha256}", FailureKind.Integrity);
                }
                await part.CommitAsync(ct).ConfigureAwait(false);
            }
            await PartFile.WriteAllTextAsync(SnapshotManifest.PathFor(path), manifest.ToJson(), ct).ConfigureAwait(false);
            await output.WriteLineAsync($"{entry.Key} -> {Path.GetFullPath(path)} ({StatusCommand.Bytes(manifest.FileSize)}, revision {manifest.Revision}, sha256 ok)").ConfigureAwait(false);
            return ExitCodes.Ok;
        }));
        return command;
    }
}
