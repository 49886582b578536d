using System.CommandLine;
using EtcdDr.Restore;

namespace EtcdDr.Cli.Restore;

public static class PlanCommand
{
    public static Command Create(TextWriter output, TextWriter error, CliEnvironment env)
    {
        var options = new RestoreOptionsCli();
        var command = new Command("plan", "Show the exact ordered steps per host (commands, files moved, flags and variables from what to what) and the preflight, touching nothing\n" +
            "Exit codes: 0 the run would go ahead; 2 bad arguments; 3 the snapshot fails verification; 4 a master cannot be read; 5 preflight refuses (healthy quorum without --force, disk, tool)");
        options.AddTo(command, sources: true);
        command.SetAction(Guarded.Action(error, async (parse, ct) =>
        {
            var request = options.Read(parse, env);
            var decrypt = await options.DecryptionAsync(parse, env, ct).ConfigureAwait(false);
            var service = new RestoreService(RestoreCommands.Runtimes, TimeProvider.System, error);
            await using var prepared = await service.PrepareAsync(request, decrypt, forRun: false, ct).ConfigureAwait(false);
            try
            {
                if (Output.IsJson(parse.GetValue(options.Format)))
                    Output.WriteJson(output, RestoreRendering.PlanJson(prepared.Plan, prepared.Preflight));
                else
                    RestoreRendering.WritePlan(output, prepared.Plan, prepared.Preflight);
            }
            finally
            {
                // plan keeps nothing: a decrypted or fetched copy was only needed to check and size it.
                foreach (var f in prepared.TemporaryFiles)
                    File.Delete(f);
            }
            if (prepared.Refusal is { } refusal)
            {
                await error.WriteLineAsync($"etcd-dr: {refusal.Message}").ConfigureAwait(false);
                return ExitCodes.For(refusal.Kind);
            }
            return ExitCodes.Ok;
        }));
        return command;
    }
}
