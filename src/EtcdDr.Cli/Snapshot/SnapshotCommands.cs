using System.CommandLine;

namespace EtcdDr.Cli.Snapshot;

/// <summary>`etcd-dr snapshot ...`: one file per verb.</summary>
public static class SnapshotCommands
{
    public static Command Create(TextWriter output, TextWriter error, CliEnvironment env)
    {
        var snapshot = new Command("snapshot", "Take, check, list, fetch and prune etcd v3 snapshots");
        snapshot.Subcommands.Add(SaveCommand.Create(output, error, env));
        snapshot.Subcommands.Add(VerifyCommand.Create(output, error, env));
        snapshot.Subcommands.Add(ListCommand.Create(output, error));
        snapshot.Subcommands.Add(FetchCommand.Create(output, error));
        snapshot.Subcommands.Add(PruneCommand.Create(output, error));
        return snapshot;
    }

    /// <summary>--cluster: the folder under which a cluster's backups live in a store.</summary>
    public static Option<string?> ClusterOption() => new("--cluster")
    {
        Description = "cluster name: backups live under <cluster>/snapshots/ in the store",
    };

    public static string RequireCluster(string? cluster, string flag) =>
        cluster ?? throw new DrException($"{flag} needs --cluster NAME (the folder under which the cluster's snapshots are kept)", FailureKind.Usage);
}
