using System.CommandLine;
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
        root.Subcommands.Add(VersionCommand.Create(output));
        root.Subcommands.Add(KeyCommands.Create(output, error));
        root.Subcommands.Add(AgeCommands.CreateEncrypt(error, env));
        root.Subcommands.Add(AgeCommands.CreateDecrypt(error, env));
        root.Subcommands.Add(PkiCommands.Create(output, error, env));
        return root;
    }
}
