using System.CommandLine;
using EtcdDr.Cli.Snapshot;

namespace EtcdDr.Cli;

/// <summary>Builds the root command. Each verb group lives in its own file and adds itself here.</summary>
public static class EtcdDrCli
{
    public static RootCommand Build(TextWriter output, TextWriter error)
    {
        var root = new RootCommand("etcd-dr: etcd and Kubernetes control-plane disaster recovery");
        root.Subcommands.Add(StatusCommand.Create(output, error));
        root.Subcommands.Add(SnapshotCommands.Create(output, error));
        root.Subcommands.Add(InventoryCommands.CreateInventory(output, error));
        root.Subcommands.Add(InventoryCommands.CreateDiscover(output, error));
        root.Subcommands.Add(ScheduleCommands.Create(output, error));
        root.Subcommands.Add(LabCommands.Create(output, error));
        root.Subcommands.Add(VersionCommand.Create(output));
        return root;
    }
}
