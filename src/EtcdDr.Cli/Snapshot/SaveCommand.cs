using System.CommandLine;
using EtcdDr.Etcd;
using EtcdDr.Schedule;
using EtcdDr.Snapshots;
using EtcdDr.Storage;

namespace EtcdDr.Cli.Snapshot;

public static class SaveCommand
{
    public static Command Create(TextWriter output, TextWriter error, CliEnvironment env)
    {
        var keys = new SnapshotKeyOptions();
        var connection = new EtcdConnectionOptionsCli();
        var inventory = new InventoryOptionsCli();
        var file = new Option<string?>("--output-file", "-o") { Description = "write the snapshot to this file; FILE.manifest.json is written beside it" };
        var to = new Option<string[]>("--to")
        {
            Description = "also store it at a destination URL (repeatable): file:///dir, ssh://host/dir, s3://bucket/prefix, azblob://account/container",
            AllowMultipleArgumentsPerToken = false,
        };
        var cluster = SnapshotCommands.ClusterOption();
        var force = new Option<bool>("--force") { Description = "replace an existing -o file (the old one stays until the new snapshot is complete and checked)" };
        var format = Output.CreateOption();
        var config = new Option<string?>("--config") { Description = "on-master mode: read cluster, destinations, retention, lock and metrics from this file (see docs/scheduling.md); endpoints and certificates come from the local member unless the file names them" };
        var onlyIfLeader = new Option<bool>("--only-if-leader") { Description = "on-master mode: save only when the local member is the leader (overrides the config)" };
        var command = new Command("save", "Stream a snapshot from one healthy member (a follower when possible), check etcd's SHA-256 trailer while streaming, and store it: " +
            "FILE.part (0600), fsync, rename, manifest last; or <cluster>/snapshots/<time>-rev<rev>.db in each --to store. etcd streams once for all copies.\n" +
            "Exit codes: 0 saved everywhere (or, with --config, skipped because this member is not the leader); 2 bad arguments; 3 every member's stream was corrupt; 4 no member reachable; " +
            "5 output exists (use --force) or another save is writing FILE.part; 6 some destinations (or a prune) failed; 7 skipped: another run holds the lock");
        connection.AddTo(command);
        inventory.AddTo(command);
        keys.AddEncrypting(command);
        foreach (var option in new Option[] { file, to, cluster, force, format, config, onlyIfLeader })
            command.Options.Add(option);
        command.SetAction(Guarded.Action(error, async (parse, ct) =>
        {
            if (parse.GetValue(config) is { } configPath)
            {
                // The config names the destinations; quietly dropping -o/--to would leave the
                // operator believing a copy went where it did not.
                if (parse.GetValue(file) is not null || (parse.GetValue(to) ?? []).Length > 0)
                    throw new DrException("--config takes its destinations from the config file; drop -o/--to, or add them to 'destinations'", FailureKind.Usage);
                if (parse.GetValue(connection.User) is not null || parse.GetValue(connection.PasswordFile) is not null)
                    throw new DrException("--config takes the etcd user from the config file; drop --user/--password-file, or set etcd.user and etcd.passwordFile", FailureKind.Usage);
                return await RunScheduledAsync(configPath, parse.GetValue(onlyIfLeader), output, error, parse.GetValue(format), ct).ConfigureAwait(false);
            }
            if (parse.GetValue(file) is null && (parse.GetValue(to) ?? []).Length == 0)
                throw new DrException("where should the snapshot go? give -o FILE and/or --to URL", FailureKind.Usage);
            await using var access = await EtcdAccess.OpenAsync(parse, connection, inventory, error, ct).ConfigureAwait(false);
            await using var stores = new OpenedStores();
            var destinations = new List<ISnapshotDestination>();
            if (parse.GetValue(file) is { } path)
                destinations.Add(new LocalFileDestination(path, parse.GetValue(force)));
            foreach (var url in parse.GetValue(to) ?? [])
                destinations.Add(StoreDestination.For(stores.TryOpen(url), SnapshotCommands.RequireCluster(parse.GetValue(cluster) ?? access.Cluster, "--to")));
            StoreDestination.RequireOneUsable(destinations);

            var encryption = await keys.EncryptionAsync(parse, access.Recipients, env, ct).ConfigureAwait(false);
            using var client = new EtcdClient(connection.WithCredentials(access.Options, parse));
            var saver = new SnapshotSaver(client, TimeProvider.System);
            var request = new SnapshotSaveRequest(destinations, encryption);
            var result = await ProgressDisplay.RunAsync("snapshot", progress => saver.SaveAsync(request, progress, error, ct)).ConfigureAwait(false);
            if (encryption is null)
                await error.WriteLineAsync("warning: the snapshot is not encrypted and holds every Kubernetes Secret of the cluster; keep it where only admins can read it, or pass -r age1...").ConfigureAwait(false);
            Render(output, parse.GetValue(format), result);
            foreach (var failed in result.Destinations.Where(d => !d.Succeeded))
                await error.WriteLineAsync($"etcd-dr: {failed.Destination}: {failed.Error}").ConfigureAwait(false);
            return result.Partial ? ExitCodes.Partial : ExitCodes.Ok;
        }));
        return command;
    }

    private static async Task<int> RunScheduledAsync(string configPath, bool onlyIfLeader, TextWriter output, TextWriter error, OutputFormat format, CancellationToken ct)
    {
        var config = ScheduleConfig.Load(configPath);
        if (onlyIfLeader)
            config = config with { OnlyIfLeader = true };
        if (config.Recipients is not { Count: > 0 })
            await error.WriteLineAsync("warning: the config names no recipients, so snapshots are stored unencrypted; they hold every Kubernetes Secret").ConfigureAwait(false);
        var run = await new ScheduledSnapshotRun(TimeProvider.System).RunAsync(config, error, ct).ConfigureAwait(false);
        if (run.Save is { } save)
            Render(output, format, save);
        foreach (var problem in run.Problems)
            await error.WriteLineAsync($"etcd-dr: {problem}").ConfigureAwait(false);
        return run.Outcome switch
        {
            RunOutcome.Success or RunOutcome.SkippedNotLeader => ExitCodes.Ok,
            RunOutcome.SkippedBusy => ExitCodes.Busy,
            RunOutcome.Partial => ExitCodes.Partial,
            _ => ExitCodes.For(run.Error?.Kind ?? FailureKind.General),
        };
    }

    private static void Render(TextWriter output, OutputFormat format, SnapshotSaveResult result)
    {
        if (Output.IsJson(format))
        {
            Output.WriteJson(output, new SnapshotSaveJson(result.Manifest, result.Destinations, result.FailedAttempts));
            return;
        }
        var m = result.Manifest;
        output.WriteLine($"Snapshot of revision {m.Revision} from {m.MemberName ?? m.MemberId} at {m.Endpoint}: {StatusCommand.Bytes(m.FileSize)} in {m.DurationSeconds:0.00} s, sha256 {m.FileSha256}");
        foreach (var d in result.Destinations)
            output.WriteLine(d.Succeeded ? $"  saved   {d.Location}" : $"  FAILED  {d.Destination}: {d.Error}");
    }
}

/// <summary>`snapshot save --output json`.</summary>
public sealed record SnapshotSaveJson(EtcdDr.Snapshots.SnapshotManifest Manifest, IReadOnlyList<EtcdDr.Snapshots.DestinationOutcome> Destinations, IReadOnlyList<string> FailedAttempts);
