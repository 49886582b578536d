using System.CommandLine;
using EtcdDr.Snapshots;

namespace EtcdDr.Cli.Snapshot;

public static class VerifyCommand
{
    public static Command Create(TextWriter output, TextWriter error, CliEnvironment env)
    {
        var keys = new SnapshotKeyOptions();
        var path = new Argument<string>("FILE") { Description = "snapshot file" };
        var manifest = new Option<string?>("--manifest") { Description = "manifest to check against (default: FILE.manifest.json)" };
        var format = Output.CreateOption();
        var command = new Command("verify", "Check a snapshot: bbolt header, size, etcd's SHA-256 trailer, and the manifest's size and SHA-256. An encrypted snapshot is checked against its manifest; with --identity (or --passphrase-file) it is decrypted and its trailer checked too\n" +
            "Exit codes: 0 valid; 3 a check failed; 2 no such file, or encrypted with no manifest and no key (nothing could be checked)");
        command.Arguments.Add(path);
        command.Options.Add(manifest);
        command.Options.Add(format);
        keys.AddDecrypting(command);
        command.SetAction(Guarded.Action(error, async (parse, ct) =>
        {
            var decrypt = await keys.DecryptionAsync(parse, env, ct).ConfigureAwait(false);
            var report = await SnapshotVerifier.VerifyFileAsync(parse.GetValue(path)!, parse.GetValue(manifest), decrypt, ct).ConfigureAwait(false);
            if (Output.IsJson(parse.GetValue(format)))
            {
                Output.WriteJson(output, new SnapshotVerifyJson(report.Path, report.Valid, report.Verdict.ToString().ToLowerInvariant(), report.Checks, report.Manifest));
            }
            else
            {
                foreach (var check in report.Checks)
                    await output.WriteLineAsync($"{(check.Ok switch { true => "ok  ", false => "FAIL", null => "--  " })} {check.Name,-16} {check.Detail}").ConfigureAwait(false);
                await output.WriteLineAsync(report.Verdict switch
                {
                    VerifyVerdict.Valid => $"{report.Path}: valid",
                    VerifyVerdict.Invalid => $"{report.Path}: INVALID",
                    _ => $"{report.Path}: NOT VERIFIED (encrypted and no manifest: give --identity KEY or --passphrase-file FILE)",
                }).ConfigureAwait(false);
            }
            return report.Verdict switch
            {
                VerifyVerdict.Valid => ExitCodes.Ok,
                VerifyVerdict.Invalid => ExitCodes.Integrity,
                _ => ExitCodes.Usage,
            };
        }));
        return command;
    }
}

/// <summary>`snapshot verify --output json`.</summary>
public sealed record SnapshotVerifyJson(string Path, bool Valid, string Verdict, IReadOnlyList<EtcdDr.Snapshots.VerifyCheck> Checks, EtcdDr.Snapshots.SnapshotManifest? Manifest);
