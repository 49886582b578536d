using System.CommandLine;

namespace EtcdDr.Cli.Restore;

public static class MemberCommand
{
    public static Command Create(TextWriter output, TextWriter error, CliEnvironment env)
    {
        var options = new RestoreOptionsCli();
        var name = new Argument<string>("NAME") { Description = "the master (inventory name) or member name whose data is broken" };
        var yes = new Option<bool>("--yes") { Description = "do not ask for confirmation" };
        var command = new Command("member", "Repair one member while the quorum is healthy (no downtime, no snapshot): stop it, member remove, data dir aside, member add --learner, start with initial-cluster-state=existing, wait until caught up, promote\n" +
            "Exit codes: 0 repaired and verified; 2 bad arguments; 4 a master cannot be read; 5 the other members are not all healthy (use `restore run --from-member` or a snapshot); 7 another restore holds the lock; 8 a step failed (resume)");
        command.Arguments.Add(name);
        options.AddTo(command, sources: false);
        command.Options.Add(yes);
        command.SetAction(Guarded.Action(error, (parse, ct) => RunCommand.RunAsync(parse, options, parse.GetValue(yes), parse.GetValue(name), output, error, env, ct)));
        return command;
    }
}
