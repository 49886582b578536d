using System.CommandLine;
using EtcdDr.Snapshots;
using EtcdDr.Storage;
using Spectre.Console;

namespace EtcdDr.Cli.Snapshot;

public static class ListCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var from = new Option<string>("--from") { Description = "store URL", Required = true };
        var cluster = SnapshotCommands.ClusterOption();
        var format = Output.CreateOption();
        var command = new Command("list", "List a cluster's snapshots in a store, newest first: time, revision, size, encrypted, verified; and uploads that never finished\n" +
            "Exit codes: 0 listed; 3 a manifest is unreadable or disagrees with its object; 4 the store cannot be read");
        foreach (var option in new Option[] { from, cluster, format })
            command.Options.Add(option);
        command.SetAction(Guarded.Action(error, async (parse, ct) =>
        {
            await using var stores = new OpenedStores();
            var store = stores.Open(parse.GetValue(from)!);
            var clusterName = SnapshotCommands.RequireCluster(parse.GetValue(cluster), "list");
            var catalog = await SnapshotCatalog.ReadAsync(store, clusterName, ct).ConfigureAwait(false);
            // The same notion as prune's unfinished uploads: data without a manifest plus the
            // directory stores' hidden temporary files, so list shows what prune would delete.
            var incomplete = await UnfinishedUploads.ListAsync(store, clusterName, catalog, ct).ConfigureAwait(false);
            if (Output.IsJson(parse.GetValue(format)))
            {
                Output.WriteJson(output, new SnapshotListJson(
                    catalog.Snapshots.Select(s => new SnapshotListRowJson(s.Key, s.CreatedAt, s.Revision, s.Size, s.Encrypted, s.Verified, s.Problem)),
                    incomplete,
                    catalog.Problems));
            }
            else
            {
                var table = new Table().AddColumns("TIME (UTC)", "REVISION", "SIZE", "ENCRYPTED", "VERIFIED", "KEY");
                foreach (var s in catalog.Snapshots)
                    table.AddRow($"{s.CreatedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}", s.Revision.ToString(), StatusCommand.Bytes(s.Size), s.Encrypted ? "yes" : "NO", s.Verified ? "yes" : "[red]NO[/]", Markup.Escape(s.Key));
                var console = Tables.ConsoleFor(output);
                console.Write(table);
                foreach (var o in incomplete)
                    console.WriteLine($"incomplete upload (no manifest, not a snapshot; prune deletes it once older than --unfinished-older-than): {o.Key}");
                foreach (var p in catalog.Problems)
                    console.WriteLine($"problem: {p}");
            }
            return catalog.Problems.Count > 0 ? ExitCodes.Integrity : ExitCodes.Ok;
        }));
        return command;
    }
}

/// <summary>`snapshot list --output json`.</summary>
public sealed record SnapshotListJson(IEnumerable<SnapshotListRowJson> Snapshots, IReadOnlyList<EtcdDr.Storage.StoreObject> Incomplete, IReadOnlyList<string> Problems);

public sealed record SnapshotListRowJson(string Key, DateTimeOffset CreatedAt, long Revision, long Size, bool Encrypted, bool Verified, string? Problem);
