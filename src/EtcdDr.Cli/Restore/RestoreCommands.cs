using System.CommandLine;
using EtcdDr.Restore;

namespace EtcdDr.Cli.Restore;

/// <summary>`etcd-dr restore plan|run|resume|status|member`: one file per verb.</summary>
public static class RestoreCommands
{
    /// <summary>The flavor runtimes (IEtcdRuntime per master); tests put a recording one here.</summary>
    public static EtcdRuntimeFactory Runtimes { get; set; } = RestoreRuntimes.Create;

    public static Command Create(TextWriter output, TextWriter error, CliEnvironment env)
    {
        var restore = new Command("restore", "Bring the control plane's etcd back: plan, run and resume the recovery runbook over SSH, with a journal (README: Runbook)");
        restore.Subcommands.Add(PlanCommand.Create(output, error, env));
        restore.Subcommands.Add(RunCommand.Create(output, error, env));
        restore.Subcommands.Add(ResumeCommand.Create(output, error, env));
        restore.Subcommands.Add(RestoreStatusCommand.Create(output, error, env));
        restore.Subcommands.Add(MemberCommand.Create(output, error, env));
        return restore;
    }
}
