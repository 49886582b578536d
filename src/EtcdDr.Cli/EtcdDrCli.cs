using System.CommandLine;
using EtcdDr.Cli.Restore;
using EtcdDr.Cli.Snapshot;

namespace EtcdDr.Cli;

/// <summary>Builds the root command. Each verb group lives in its own file and adds itself here.</summary>
public static class EtcdDrCli
{
    public static RootCommand Build(TextWriter output, TextWriter error) => Build(output, error, CliEnvironment.System);

    /// <summary>As above, with stdin/stdout, environment and terminal supplied (tests pass fakes).</summary>
    public static RootCommand Build(TextWriter output, TextWriter error, CliEnvironment env)
    {
        PkiVaultErrors.EnsureRegistered();
        var root = new RootCommand("etcd-dr: etcd and Kubernetes control-plane disaster recovery");
        root.Subcommands.Add(StatusCommand.Create(output, error));
        root.Subcommands.Add(SnapshotCommands.Create(output, error, env));
        root.Subcommands.Add(InventoryCommands.CreateInventory(output, error));
        root.Subcommands.Add(InventoryCommands.CreateDiscover(output, error));
        root.Subcommands.Add(ScheduleCommands.Create(output, error));
        root.Subcommands.Add(LabCommands.Create(output, error));
        root.Subcommands.Add(Drill.DrillCommand.Create(output, error, env));
        root.Subcommands.Add(VersionCommand.Create(output));
        root.Subcommands.Add(KeyCommands.Create(output, error));
        root.Subcommands.Add(AgeCommands.CreateEncrypt(error, env));
        root.Subcommands.Add(AgeCommands.CreateDecrypt(error, env));
        root.Subcommands.Add(PkiCommands.Create(output, error, env));
        root.Subcommands.Add(RestoreCommands.Create(output, error, env));
        root.Subcommands.Add(CompletionCommand.Create(output));
        CompletionCommand.LowerCaseEnumCompletions(root);
        return root;
    }

    /// <summary>
    /// Parses and runs one command line. System.CommandLine exits 1 on a parse error (an unknown
    /// option, a missing argument); our exit-code table says bad arguments are 2, which a script
    /// can tell apart from a failed backup.
    /// </summary>
    public static async Task<int> RunAsync(RootCommand root, IReadOnlyList<string> args, InvocationConfiguration? configuration = null, CancellationToken ct = default)
    {
        var parse = root.Parse(args);
        var code = await parse.InvokeAsync(configuration ?? new InvocationConfiguration(), ct).ConfigureAwait(false);
        return parse.Errors.Count > 0 ? ExitCodes.Usage : code;
    }
}
