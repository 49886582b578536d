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
            var path = parse.GetValue(file)!;
            var (entry, manifest, _) = await SnapshotFetch.FetchAsync(store, SnapshotCommands.RequireCluster(parse.GetValue(cluster), "fetch"), parse.GetValue(which)!, path, parse.GetValue(force), ct).ConfigureAwait(false);
            await output.WriteLineAsync($"{entry.Key} -> {Path.GetFullPath(path)} ({StatusCommand.Bytes(manifest.FileSize)}, revision {manifest.Revision}, sha256 ok)").ConfigureAwait(false);
            return ExitCodes.Ok;
        }));
        return command;
    }
}
