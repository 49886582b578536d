using System.CommandLine;
using EtcdDr.Etcd;
using EtcdDr.Snapshots;

namespace EtcdDr.Cli;

/// <summary>`etcd-dr snapshot save|verify`.</summary>
public static class SnapshotCommands
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var snapshot = new Command("snapshot", "Take, check and manage etcd v3 snapshots");
        snapshot.Subcommands.Add(CreateSave(output, error));
        snapshot.Subcommands.Add(CreateVerify(output, error));
        return snapshot;
    }

    private static Command CreateSave(TextWriter output, TextWriter error)
    {
        var connection = new EtcdConnectionOptionsCli();
        var file = new Option<string>("--output-file", "-o") { Description = "where to write the snapshot; FILE.manifest.json is written beside it", Required = true };
        var force = new Option<bool>("--force") { Description = "replace an existing file (the old one stays until the new snapshot is complete and checked)" };
        var format = Output.CreateOption();
        var command = new Command("save", "Stream a snapshot from one healthy member (a follower when possible), check etcd's SHA-256 trailer while streaming, write FILE.part (0600), fsync and rename, then write the manifest\n" +
            "Exit codes: 0 saved; 2 bad arguments; 3 every member sent a corrupt stream; 4 no member reachable; 5 output exists (use --force)");
        connection.AddTo(command);
        command.Options.Add(file);
        command.Options.Add(force);
        command.Options.Add(format);
        command.SetAction(Guarded.Action(error, async (parse, ct) =>
        {
            using var client = new EtcdClient(connection.Read(parse));
            var request = new SnapshotSaveRequest(parse.GetValue(file)!, parse.GetValue(force));
            var saver = new SnapshotSaver(client, TimeProvider.System);
            var result = await ProgressDisplay.RunAsync("snapshot", progress => saver.SaveAsync(request, progress, error, ct)).ConfigureAwait(false);
            await error.WriteLineAsync($"warning: {result.Path} is not encrypted and holds every Kubernetes Secret of the cluster; keep it where only admins can read it").ConfigureAwait(false);
            if (Output.IsJson(parse.GetValue(format)))
            {
                Output.WriteJson(output, new { path = result.Path, manifestPath = result.ManifestPath, result.Manifest, failedAttempts = result.FailedAttempts });
            }
            else
            {
                var m = result.Manifest;
                await output.WriteLineAsync($"Snapshot saved to {result.Path} ({StatusCommand.Bytes(m.FileSize)}, revision {m.Revision}, from {m.MemberName ?? m.MemberId} at {m.Endpoint}, {m.DurationSeconds:0.00} s)").ConfigureAwait(false);
                await output.WriteLineAsync($"  sha256 {m.FileSha256}").ConfigureAwait(false);
                await output.WriteLineAsync($"  manifest {result.ManifestPath}").ConfigureAwait(false);
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command CreateVerify(TextWriter output, TextWriter error)
    {
        var path = new Argument<string>("FILE") { Description = "snapshot file" };
        var manifest = new Option<string?>("--manifest") { Description = "manifest to check against (default: FILE.manifest.json)" };
        var format = Output.CreateOption();
        var command = new Command("verify", "Check a snapshot: bbolt header, size, etcd's SHA-256 trailer, and the manifest's size and SHA-256\n" +
            "Exit codes: 0 valid; 3 a check failed; 2 no such file");
        command.Arguments.Add(path);
        command.Options.Add(manifest);
        command.Options.Add(format);
        command.SetAction(Guarded.Action(error, async (parse, ct) =>
        {
            var report = await SnapshotVerifier.VerifyFileAsync(parse.GetValue(path)!, parse.GetValue(manifest), decrypt: null, ct).ConfigureAwait(false);
            if (Output.IsJson(parse.GetValue(format)))
            {
                Output.WriteJson(output, new { report.Path, report.Valid, report.Checks, report.Manifest });
            }
            else
            {
                foreach (var check in report.Checks)
                    await output.WriteLineAsync($"{(check.Ok switch { true => "ok  ", false => "FAIL", null => "--  " })} {check.Name,-16} {check.Detail}").ConfigureAwait(false);
                await output.WriteLineAsync(report.Valid ? $"{report.Path}: valid" : $"{report.Path}: INVALID").ConfigureAwait(false);
            }
            return report.Valid ? ExitCodes.Ok : ExitCodes.Integrity;
        }));
        return command;
    }
}
