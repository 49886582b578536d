using System.CommandLine;
using EtcdDr.Restore;

namespace EtcdDr.Cli.Restore;

public static class RunCommand
{
    public static Command Create(TextWriter output, TextWriter error, CliEnvironment env)
    {
        var options = new RestoreOptionsCli();
        var yes = new Option<bool>("--yes") { Description = "do not ask for confirmation" };
        var command = new Command("run", "Run the restore plan: preflight (nothing changes when it fails), then each step with a journal record before and after\n" +
            "Exit codes: 0 restored and verified; 2 bad arguments, or no terminal to confirm on (use --yes); 3 the snapshot fails verification; 4 a master cannot be read; " +
            "5 refused (healthy quorum without --force, disk, tool, an unfinished journal exists, not confirmed); 7 another restore holds the lock; 8 a step failed: the message names the journal, fix the cause and `restore resume`");
        options.AddTo(command, sources: true);
        command.Options.Add(yes);
        command.SetAction(Guarded.Action(error, (parse, ct) => RunAsync(parse, options, parse.GetValue(yes), repairMember: null, output, error, env, ct)));
        return command;
    }

    /// <summary>Shared with `restore member`: prepare, show, confirm, run, summarize.</summary>
    internal static async Task<int> RunAsync(ParseResult parse, RestoreOptionsCli options, bool yes, string? repairMember, TextWriter output, TextWriter error, CliEnvironment env, CancellationToken ct)
    {
        var request = options.Read(parse, env, repairMember);
        var decrypt = await options.DecryptionAsync(parse, env, ct).ConfigureAwait(false);
        var service = new RestoreService(RestoreCommands.Runtimes, TimeProvider.System, error);
        await using var prepared = await service.PrepareAsync(request, decrypt, forRun: true, ct).ConfigureAwait(false);
        var json = Output.IsJson(parse.GetValue(options.Format));
        if (prepared.Refusal is { } refusal)
        {
            if (!json)
                RestoreRendering.WritePlan(error, prepared.Plan, prepared.Preflight);
            throw refusal;
        }
        if (!yes)
        {
            RestoreRendering.WritePlan(error, prepared.Plan, prepared.Preflight);
            var answer = env.PromptLine($"Run these {prepared.Plan.Steps.Count} steps on {prepared.Session.ClusterName}? Type 'yes': ");
            if (answer is null)
                throw new DrException("no terminal to confirm on; read `restore plan` and pass --yes", FailureKind.Usage);
            if (!string.Equals(answer.Trim(), "yes", StringComparison.Ordinal))
                throw new DrException("not confirmed; nothing was changed", FailureKind.Refused);
        }
        var outcome = await service.RunAsync(prepared, decrypt, RestoreRendering.Progress(error, env.IsStandardErrorTerminal()), ct).ConfigureAwait(false);
        if (json)
            Output.WriteJson(output, RestoreRendering.JournalJson(outcome.Journal));
        else
            RestoreRendering.WriteJournal(output, outcome.Journal);
        return ExitCodes.Ok;
    }
}
