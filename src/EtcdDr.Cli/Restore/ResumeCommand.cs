using System.CommandLine;
using EtcdDr.Restore;

namespace EtcdDr.Cli.Restore;

public static class ResumeCommand
{
    public static Command Create(TextWriter output, TextWriter error, CliEnvironment env)
    {
        var options = new RestoreOptionsCli();
        var journal = new Option<string?>("--journal") { Description = "the journal to continue (default: the cluster's newest in the state folder)" };
        var command = new Command("resume", "Continue an interrupted restore from its journal: the step that was running is checked and done again (every step is safe to run twice); refuses a journal whose plan does not match the masters\n" +
            "Exit codes: 0 finished and verified; 2 no journal, or it finished; 5 the plan does not match the masters found; 7 another restore holds the lock; 8 a step failed again");
        options.Inventory.AddTo(command);
        options.Keys.AddDecrypting(command);
        command.Options.Add(options.StateDir);
        command.Options.Add(options.Format);
        command.Options.Add(journal);
        command.SetAction(Guarded.Action(error, async (parse, ct) =>
        {
            var request = options.Read(parse, env);
            var path = parse.GetValue(journal) ?? Newest(request);
            var decrypt = await options.DecryptionAsync(parse, env, ct).ConfigureAwait(false);
            var service = new RestoreService(RestoreCommands.Runtimes, TimeProvider.System, error);
            var outcome = await service.ResumeAsync(path, request, decrypt, RestoreRendering.Progress(error, env.IsStandardErrorTerminal()), ct).ConfigureAwait(false);
            if (Output.IsJson(parse.GetValue(options.Format)))
                Output.WriteJson(output, RestoreRendering.JournalJson(outcome.Journal));
            else
                RestoreRendering.WriteJournal(output, outcome.Journal);
            return ExitCodes.Ok;
        }));
        return command;
    }

    internal static string Newest(RestoreOptions request)
    {
        var cluster = EtcdDr.Remote.InventoryLoader.Load(request.Inventory, request.ClusterName).Cluster;
        return new RestoreFiles(request.StateDirectory, cluster).Newest()
               ?? throw new DrException($"no restore journal for cluster {cluster} in {request.StateDirectory}; give --journal FILE", FailureKind.Usage);
    }
}
