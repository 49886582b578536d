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
        var unfinishedAge = new Option<TimeSpan>("--unfinished-older-than")
        {
            Description = "also delete unfinished uploads (data without manifest, leftover temp files) last written longer ago than this (90m, 24h, 7d); younger ones may be a save in progress",
            DefaultValueFactory = _ => UnfinishedCleanup.DefaultSafetyAge,
            CustomParser = r => Durations.Parse(r.Tokens.Single().Value) is { } d ? d : Fail(r),
        };
        var dryRun = new Option<bool>("--dry-run") { Description = "show what would be deleted, delete nothing" };
        var format = Output.CreateOption();
        var command = new Command("prune", "Delete snapshots the retention policy does not keep. Never deletes the newest verified snapshot; deletes nothing when the policy is empty or the listing looks incomplete\n" +
            "Exit codes: 0 pruned (or nothing to do); 5 refused: listing incomplete or unreadable");
        foreach (var option in new Option[] { from, cluster, last, hourly, daily, weekly, monthly, unfinishedAge, dryRun, format })
            command.Options.Add(option);
        command.SetAction(Guarded.Action(error, async (parse, ct) =>
        {
            await using var stores = new OpenedStores();
            var store = stores.Open(parse.GetValue(from)!);
            var policy = new RetentionPolicy(parse.GetValue(last), parse.GetValue(hourly), parse.GetValue(daily), parse.GetValue(weekly), parse.GetValue(monthly));
            if (policy.IsEmpty)
                await error.WriteLineAsync("etcd-dr: no --keep-* rule given: nothing will be deleted").ConfigureAwait(false);
            var result = await SnapshotPruner.PruneAsync(store, SnapshotCommands.RequireCluster(parse.GetValue(cluster), "prune"), policy, parse.GetValue(dryRun),
                new UnfinishedCleanup(parse.GetValue(unfinishedAge), TimeProvider.System), ct).ConfigureAwait(false);
            if (Output.IsJson(parse.GetValue(format)))
            {
                Output.WriteJson(output, new PruneJson(
                    result.DryRun,
                    result.Decision.Keep.Select(k => new PruneKeepJson(k.Key, result.Decision.ReasonsToKeep[k.Key])),
                    result.Decision.Delete.Select(d => d.Key),
                    result.Deleted,
                    result.Unfinished is { } u ? new PruneUnfinishedJson(u.Delete.Select(o => o.Key), u.Kept.Select(o => o.Key), result.DeletedUnfinished) : null));
            }
            else
            {
                foreach (var k in result.Decision.Keep)
                    await output.WriteLineAsync($"keep    {k.Key} ({string.Join(", ", result.Decision.ReasonsToKeep[k.Key])})").ConfigureAwait(false);
                foreach (var d in result.Decision.Delete)
                    await output.WriteLineAsync($"{(result.DryRun ? "would delete" : "deleted")} {d.Key}").ConfigureAwait(false);
                await output.WriteLineAsync($"{result.Decision.Keep.Count} kept, {(result.DryRun ? result.Decision.Delete.Count + " would be deleted (dry run)" : result.Deleted.Count + " deleted")}").ConfigureAwait(false);
                if (result.Unfinished is { } unfinished)
                {
                    foreach (var o in unfinished.Delete)
                        await output.WriteLineAsync($"{(result.DryRun ? "would delete" : "deleted")} unfinished upload {o.Key} (last written {o.LastModified.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z)").ConfigureAwait(false);
                    foreach (var o in unfinished.Kept)
                        await output.WriteLineAsync($"keep    unfinished upload {o.Key} (younger than {parse.GetValue(unfinishedAge)}: a save may be in progress)").ConfigureAwait(false);
                    await output.WriteLineAsync($"unfinished uploads: {unfinished.Kept.Count} kept, {(result.DryRun ? unfinished.Delete.Count + " would be deleted (dry run)" : result.DeletedUnfinished!.Count + " deleted")}").ConfigureAwait(false);
                }
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static TimeSpan Fail(System.CommandLine.Parsing.ArgumentResult result)
    {
        result.AddError(Durations.Problem(result.Tokens.Single().Value));
        return default;
    }
}

/// <summary>`snapshot prune --output json`.</summary>
public sealed record PruneJson(bool DryRun, IEnumerable<PruneKeepJson> Keep, IEnumerable<string> Delete, IReadOnlyList<string> Deleted, PruneUnfinishedJson? Unfinished);

public sealed record PruneKeepJson(string Key, IReadOnlyList<string> Reasons);

public sealed record PruneUnfinishedJson(IEnumerable<string> Delete, IEnumerable<string> KeptTooYoung, IReadOnlyList<string>? Deleted);
