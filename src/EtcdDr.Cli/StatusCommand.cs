using System.CommandLine;
using EtcdDr.Etcd;
using Spectre.Console;

namespace EtcdDr.Cli;

/// <summary>`etcd-dr status`: every endpoint's view of the cluster, the members and the alarms.</summary>
public static class StatusCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var connection = new EtcdConnectionOptionsCli();
        var inventory = new InventoryOptionsCli();
        var format = Output.CreateOption();
        var command = new Command("status", "Show members, leader, version, db size, revision, raft index and alarms of every endpoint\n" +
            "Exit codes: 0 all endpoints answered and no alarm; 4 none answered; 6 some failed or an alarm is raised");
        connection.AddTo(command);
        inventory.AddTo(command);
        command.Options.Add(format);
        command.SetAction(Guarded.Action(error, async (parse, ct) =>
        {
            await using var access = await EtcdAccess.OpenAsync(parse, connection, inventory, error, ct).ConfigureAwait(false);
            using var client = new EtcdClient(connection.WithCredentials(access.Options, parse));
            var report = await ClusterStatus.GatherAsync(client, ct).ConfigureAwait(false);
            if (Output.IsJson(parse.GetValue(format)))
                Output.WriteJson(output, report);
            else
                Render(output, report);
            return report.Endpoints.All(e => e.Error is not null) ? ExitCodes.Unreachable
                : report.Endpoints.Any(e => e.Error is not null) || report.Alarms.Count > 0 ? ExitCodes.Partial
                : ExitCodes.Ok;
        }));
        return command;
    }

    private static void Render(TextWriter output, ClusterStatusReport report)
    {
        var console = Tables.ConsoleFor(output);
        var table = new Table().AddColumns("ENDPOINT", "ID", "NAME", "VERSION", "DB SIZE", "IN USE", "LEADER", "LEARNER", "REVISION", "TERM", "INDEX", "APPLIED", "ERRORS");
        foreach (var e in report.Endpoints)
        {
            if (e.Error is not null)
            {
                table.AddRow(Markup.Escape(e.Endpoint), "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "[red]" + Markup.Escape(e.Error) + "[/]");
                continue;
            }
            table.AddRow(Markup.Escape(e.Endpoint), e.MemberId!, Markup.Escape(e.Name ?? ""), e.Version!, Bytes(e.DbSize), Bytes(e.DbSizeInUse),
                e.IsLeader ? "[green]true[/]" : "false", e.IsLearner ? "true" : "false", e.Revision.ToString(), e.RaftTerm.ToString(), e.RaftIndex.ToString(),
                e.RaftAppliedIndex.ToString(), Markup.Escape(string.Join("; ", e.Errors)));
        }
        console.Write(table);
        console.WriteLine($"cluster {report.ClusterId ?? "?"}, {report.Members.Count} members, leader {report.LeaderId ?? "none"}");
        foreach (var alarm in report.Alarms)
            console.MarkupLine($"[red]alarm[/] {alarm.Alarm} on member {alarm.MemberId}");
    }

    public static string Bytes(long n) => n switch
    {
        >= 1L << 30 => $"{n / (double)(1L << 30):0.0} GiB",
        >= 1L << 20 => $"{n / (double)(1L << 20):0.0} MiB",
        >= 1L << 10 => $"{n / 1024.0:0.0} KiB",
        _ => $"{n} B",
    };
}
