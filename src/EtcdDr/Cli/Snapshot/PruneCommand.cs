using System.CommandLine;
using EtcdDr.Snapshots;
using EtcdDr.Storage;

namespace EtcdDr.Cli.Snapshot;

public static class PruneCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var from = new Option<string>("--from") { Description = "store URL", Required = true };
        var cluster = SnapshotCommands.ClusterOption();
        var last = new Option<int>("--keep-last") { Description = "keep the newest N" };
        var hourly = new Option<int>("--keep-hourly") { Description = "keep the newest of each of the last H hours that have snapshots" };
        var daily = new Option<int>("--keep-daily") { Description = "... of the last D days" };
        var weekly = new Option<int>("--keep-weekly") { Description = "... of the last W ISO weeks" };
        var monthly = new Option<int>("--keep-monthly") { Description = "... of the last M months" };
        var dryRun = new Option<bool>("--dry-run") { Description = "show what would be deleted, delete nothing" };
        var format = Output.CreateOption();
        var command = new Command("prune", "Delete snapshots the retention policy does not keep. Never deletes the newest verified snapshot; deletes nothing when the policy is empty or the listing looks incomplete\n" +
            "Exit codes: 0 pruned (or nothing to do); 5 refused: listing incomplete or unreadable");
        foreach (var option in new Option[] { from, cluster, last, hourly, daily, weekly, monthly, dryRun, format })
            command.Options.Add(option);
        command.SetAction(Guarded.Action(error, async (parse, ct) =>
        {
            await using var stores = new OpenedStores();
            var store = stores.Open(parse.GetValue(from)!);
            var policy = new RetentionPolicy(parse.GetValue(last), parse.GetValue(hourly), parse.GetValue(daily), parse.GetValue(weekly), parse.GetValue(monthly));
            if (policy.IsEmpty)
                await error.WriteLineAsync("etcd-dr: no --keep-* rule given: nothing will be deleted").ConfigureAwait(false);
            var result = await SnapshotPruner.PruneAsync(store, SnapshotCommands.RequireCluster(parse.GetValue(cluster), "prune"), policy, parse.GetValue(dryRun), ct).ConfigureAwait(false);
            if (Output.IsJson(parse.GetValue(format)))
            {
                Output.WriteJson(output, new
                {
                    result.DryRun,
                    keep = result.Decision.Keep.Select(k => new { k.Key, reasons = result.Decision.ReasonsToKeep[k.Key] }),
                    delete = result.Decision.Delete.Select(d => d.Key),
                    result.Deleted,
                });
            }
            else
            {
                foreach (var k in result.Decision.Keep)
                    await output.WriteLineAsync($"keep    {k.Key} ({string.Join(", ", result.Decision.ReasonsToKeep[k.Key])})").ConfigureAwait(false);
                foreach (var d in result.Decision.Delete)
                    await output.WriteLineAsync($"{(result.DryRun ? "would delete" : "deleted")} {d.Key}").ConfigureAwait(false);
                await output.WriteLineAsync($"{result.Decision.Keep.Count} kept, {(result.DryRun ? result.Decision.Delete.Count + " would be deleted (dry run)" : result.Deleted.Count + " deleted")}").ConfigureAwait(false);
            }
            return ExitCodes.Ok;
        }));
        return command;
    }
}
