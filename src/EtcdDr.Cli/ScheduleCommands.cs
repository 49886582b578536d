using System.CommandLine;
using EtcdDr.Schedule;

namespace EtcdDr.Cli;

/// <summary>`etcd-dr schedule render`.</summary>
public static class ScheduleCommands
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var schedule = new Command("schedule", "Run snapshots on a timer");
        var defaults = new ScheduleRenderOptions();
        var kind = new Option<string>("--kind") { Description = "systemd (service + timer), service or timer alone (one file each, as a playbook writes them), cronjob, or all", DefaultValueFactory = _ => "systemd" };
        kind.AcceptOnlyFromAmong("systemd", "service", "timer", "cronjob", "all");
        var binary = new Option<string>("--binary") { Description = "path of etcd-dr on the masters", DefaultValueFactory = _ => defaults.Binary };
        var config = new Option<string>("--config") { Description = "config file on the masters", DefaultValueFactory = _ => defaults.ConfigPath };
        var onCalendar = new Option<string>("--on-calendar") { Description = "systemd OnCalendar= expression", DefaultValueFactory = _ => defaults.OnCalendar };
        var cron = new Option<string>("--cron") { Description = "CronJob schedule", DefaultValueFactory = _ => defaults.CronSchedule };
        var image = new Option<string>("--image") { Description = "container image holding etcd-dr, for the CronJob", DefaultValueFactory = _ => defaults.Image };
        var flavor = new Option<string>("--flavor") { Description = "for the CronJob: kubeadm or kubespray, which host files to mount", DefaultValueFactory = _ => defaults.Flavor };
        flavor.AcceptOnlyFromAmong([.. ScheduleRenderOptions.Flavors]);
        var metricsDir = new Option<string>("--metrics-dir") { Description = "for the CronJob: node_exporter's textfile directory on the host", DefaultValueFactory = _ => defaults.MetricsDir };
        var lockDir = new Option<string>("--lock-dir") { Description = "for the CronJob: the host directory holding the config's lock file", DefaultValueFactory = _ => defaults.LockDir };
        var render = new Command("render", "Print the systemd service and timer (or a Kubernetes CronJob pinned to control-plane nodes) that run `etcd-dr snapshot save --config`");
        foreach (var option in new Option[] { kind, binary, config, onCalendar, cron, image, flavor, metricsDir, lockDir })
            render.Options.Add(option);
        render.SetAction(Guarded.Action(error, async (parse, _) =>
        {
            var options = new ScheduleRenderOptions(parse.GetValue(binary)!, parse.GetValue(config)!, parse.GetValue(onCalendar)!, parse.GetValue(cron)!, parse.GetValue(image)!,
                Flavor: parse.GetValue(flavor)!, MetricsDir: parse.GetValue(metricsDir)!, LockDir: parse.GetValue(lockDir)!);
            var which = parse.GetValue(kind);
            await output.WriteAsync(which switch
            {
                "service" => UnitRenderer.Service(options),
                "timer" => UnitRenderer.Timer(options),
                _ => UnitRenderer.All(options, systemd: which is "systemd" or "all", cronJob: which is "cronjob" or "all"),
            }).ConfigureAwait(false);
            return ExitCodes.Ok;
        }));
        schedule.Subcommands.Add(render);
        return schedule;
    }
}
