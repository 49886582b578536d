using System.CommandLine;
using EtcdDr.Drill;
using EtcdDr.Lab;

namespace EtcdDr.Cli.Drill;

/// <summary>`etcd-dr drill`: rehearse a disaster on a fresh lab (--lab) or a real cluster (-i), and report RTO and RPO.</summary>
public static class DrillCommand
{
    public static Command Create(TextWriter output, TextWriter error, CliEnvironment env)
    {
        var lab = new Option<bool>("--lab") { Description = "bring up a fresh local lab (root), drill it, tear it down" };
        var flavor = new Option<LabFlavor>("--flavor")
        {
            Description = "--lab: kubeadm, kubespray or kubespray-docker",
            DefaultValueFactory = _ => LabFlavor.Kubeadm,
            CustomParser = r => LabFlavors.Parse(r.Tokens.Single().Value),
        };
        var masters = new Option<int>("--masters") { Description = "--lab: how many masters", DefaultValueFactory = _ => 3 };
        var net = new Option<string>("--net") { Description = "--lab: first three octets of the lab's loopback /24", DefaultValueFactory = _ => LabDrillOptions.DefaultNet };
        var sshPort = new Option<int>("--ssh-port") { Description = "--lab: the masters' sshd port", DefaultValueFactory = _ => LabDrillOptions.DefaultSshPort };
        var state = new Option<string>("--state") { Description = "--lab: the lab's state folder", DefaultValueFactory = _ => LabDrillOptions.DefaultState };
        var keep = new Option<bool>("--keep") { Description = "--lab: keep the lab after the drill (also after Ctrl-C); `etcd-dr lab down --state DIR` removes it. With --scenario all only the last scenario's lab is kept: every scenario needs a fresh lab on the same --net, so each earlier one is torn down first" };
        var noHostEtcdctl = new Option<bool>("--no-host-etcdctl") { Description = "--lab, kubeadm: no etcdctl/etcdutl on the masters' PATH, as on a real kubeadm node (the restore runs them from the etcd image)" };
        var inventory = new InventoryOptionsCli();
        var scenario = new Option<string?>("--scenario") { Description = $"{string.Join(" | ", DrillScenario.Names)} | all (default for --lab: wipe-all; required with -i)" };
        var yesDestroy = new Option<string?>("--yes-destroy") { Description = "-i: CLUSTER: confirm breaking this cluster without a prompt (must be the inventory's cluster name)" };
        var report = new Option<string?>("--report") { Description = "folder for report.md, drill.json and report.html (default ./drill-<cluster>-<UTC time>/; one subfolder per scenario with all)" };
        var history = new Option<string?>("--history") { Description = "folder that keeps every run's drill.json; the HTML then shows the RTO trend" };
        var metrics = new Option<string?>("--metrics-textfile") { Description = "node_exporter textfile to update with the last passed drill's time, RTO and RPO (docs/scheduling.md)" };
        var store = new Option<string?>("--store") { Description = "store URL for the drill's snapshot and PKI archives, as `snapshot save --to` (default a file:// store in the report folder)" };
        var identity = new Option<string?>("--identity") { Description = "age X25519 identity whose recipient encrypts the backups (default a new one in the report folder)" };
        var replacement = new Option<string[]>("--replacement") { Description = "-i, lose-master: NAME=ADDRESS of the spare machine that replaces master NAME", Arity = ArgumentArity.ZeroOrMore };
        var timeout = new Option<double>("--timeout") { Description = "seconds the cluster may take to serve again after the restore returned", DefaultValueFactory = _ => 180 };
        var format = Output.CreateOption();
        var command = new Command("drill", "Rehearse a disaster: write canaries, snapshot and back up the PKI as the schedule does, break the cluster, restore with `etcd-dr restore`, verify, and report RTO and RPO (Markdown, JSON, HTML)\n" +
            "Exit codes: 0 every drill passed; 1 a drill failed (its report names the failed check); 2 bad arguments or no terminal to confirm on; 4 unreachable; 5 refused (not root for --lab, a lab already up, the cluster name not confirmed); 130 interrupted by Ctrl-C or SIGTERM (the report says during which step; the lab is torn down unless --keep)");
        foreach (var o in new Option[] { lab, flavor, masters, net, sshPort, state, keep, noHostEtcdctl, scenario, yesDestroy, report, history, metrics, store, identity, replacement, timeout, format })
            command.Options.Add(o);
        inventory.AddTo(command);
        command.SetAction(Guarded.Action(error, async (parse, ct) =>
        {
            // After Ctrl-C the process waits for this action to return (the report written, the lab
            // torn down, the last line printed) instead of ending after the usual few seconds.
            using var hold = InterruptGrace.Hold();
            var isLab = parse.GetValue(lab);
            var inventoryPath = parse.GetValue(inventory.Inventory);
            if (isLab == (inventoryPath is not null))
                throw new DrException("give either --lab or -i INVENTORY", FailureKind.Usage);
            var scenarioName = parse.GetValue(scenario) ?? (isLab ? "wipe-all" : throw new DrException("-i needs --scenario NAME (a real cluster is drilled one named scenario at a time, or all)", FailureKind.Usage));
            var options = new DrillOptions(
                DrillScenario.Parse(scenarioName),
                isLab ? new LabDrillOptions(parse.GetValue(flavor), parse.GetValue(masters), parse.GetValue(net)!, parse.GetValue(sshPort), parse.GetValue(state)!, parse.GetValue(keep), parse.GetValue(noHostEtcdctl)) : null,
                inventoryPath,
                parse.GetValue(inventory.ClusterName),
                parse.GetValue(yesDestroy),
                parse.GetValue(inventory.AcceptNewHostKeys),
                parse.GetValue(inventory.Tunnel),
                parse.GetValue(report),
                parse.GetValue(history),
                parse.GetValue(metrics),
                parse.GetValue(store),
                parse.GetValue(identity),
                Restore.RestoreOptionsCli.ParseReplacements(parse.GetValue(replacement) ?? []),
                TimeSpan.FromSeconds(parse.GetValue(timeout)));
            var json = Output.IsJson(parse.GetValue(format));
            // Progress goes to stderr in both modes: a drill takes minutes, and stdout stays pure JSON.
            var outcomes = await new DrillService(error, env.PromptLine, TimeProvider.System).RunAsync(options, ct).ConfigureAwait(false);
            if (json)
            {
                Output.WriteJson(output, outcomes.Select(o => new DrillOutcomeJson(
                    o.Report.Scenario,
                    o.Report.Flavor,
                    o.Report.Passed,
                    o.Report.RtoSeconds,
                    o.Report.RpoSeconds,
                    o.Report.FailedCheck,
                    o.Report.Interrupted,
                    o.Paths.Html,
                    o.Paths.Markdown,
                    o.Paths.Json)));
            }
            else
            {
                foreach (var o in outcomes)
                {
                    var r = o.Report;
                    await output.WriteLineAsync($"drill {r.Scenario} ({r.Flavor}) {EtcdDr.Drill.Reports.MarkdownReport.Verdict(r)}: RTO {EtcdDr.Drill.Reports.MarkdownReport.Seconds(r.RtoSeconds)}, RPO {EtcdDr.Drill.Reports.MarkdownReport.Seconds(r.RpoSeconds)}"
                        + (r.FailedCheck is { } f ? $"; failed check: {f}" : "")).ConfigureAwait(false);
                    await output.WriteLineAsync($"  report: {o.Paths.Html}").ConfigureAwait(false);
                }
            }
            if (ct.IsCancellationRequested)
            {
                var last = outcomes.LastOrDefault();
                await error.WriteLineAsync("etcd-dr: drill interrupted" + (last is null ? "" : $" during {last.Report.Scenario}: {last.Report.FailedCheck} (report {last.Paths.Html})")
                    + (options.Lab is { Keep: true } ? "; the lab is kept (--keep)" : options.Lab is not null ? "; the lab is torn down" : "")).ConfigureAwait(false);
                return ExitCodes.Interrupted;
            }
            if (outcomes.FirstOrDefault(o => !o.Report.Passed) is { } failed)
            {
                await error.WriteLineAsync($"etcd-dr: drill {failed.Report.Scenario} failed: {failed.Report.FailedCheck} (report {failed.Paths.Html})").ConfigureAwait(false);
                return ExitCodes.Failure;
            }
            return ExitCodes.Ok;
        }));
        return command;
    }
}

/// <summary>`drill --output json`, one per scenario run; Report, Markdown and Data are file paths.</summary>
public sealed record DrillOutcomeJson(string Scenario, string Flavor, bool Passed, double? RtoSeconds, double? RpoSeconds, string? FailedCheck, bool Interrupted,
    string Report, string Markdown, string Data);
