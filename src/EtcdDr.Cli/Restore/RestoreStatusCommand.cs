using System.CommandLine;
using EtcdDr.Restore;

namespace EtcdDr.Cli.Restore;

public static class RestoreStatusCommand
{
    public static Command Create(TextWriter output, TextWriter error, CliEnvironment env)
    {
        var journal = new Option<string?>("--journal") { Description = "the journal to show (default: the cluster's newest, with -i)" };
        var options = new RestoreOptionsCli();
        var command = new Command("status", "Show a restore's journal: each step's state, time and note, where the old data dirs are, and what to do next\n" +
            "Exit codes: 0 finished; 6 not finished (resume it); 2 no journal");
        command.Options.Add(journal);
        command.Options.Add(options.Inventory.Inventory);
        command.Options.Add(options.Inventory.ClusterName);
        command.Options.Add(options.StateDir);
        command.Options.Add(options.Format);
        command.SetAction(Guarded.Action(error, async (parse, ct) =>
        {
            await Task.CompletedTask.ConfigureAwait(false);
            var path = parse.GetValue(journal) ?? ResumeCommand.Newest(options.Read(parse, env));
            var state = RestoreJournal.Read(path);
            if (Output.IsJson(parse.GetValue(options.Format)))
                Output.WriteJson(output, RestoreRendering.JournalJson(state));
            else
                RestoreRendering.WriteJournal(output, state);
            return state.IsFinished ? ExitCodes.Ok : ExitCodes.Partial;
        }));
        return command;
    }
}
