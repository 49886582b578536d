using System.CommandLine;
using EtcdDr.Lab;
using Spectre.Console;

namespace EtcdDr.Cli;

/// <summary>`etcd-dr lab up|down|status|break|heal`: the local lab of DESIGN.md section 6 (docs/lab.md).</summary>
public static class LabCommands
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var lab = new Command("lab", "A local lab: N masters on loopback addresses with namespaces, sshd and TLS etcd, kubeadm (with stand-in control-plane pods and crictl) or Kubespray style (needs root)");
        lab.Subcommands.Add(CreateUp(output, error));
        lab.Subcommands.Add(CreateDown(output, error));
        lab.Subcommands.Add(CreateStatus(output, error));
        lab.Subcommands.Add(CreateBreak(output, error));
        lab.Subcommands.Add(CreateHeal(output, error));
        lab.Subcommands.Add(CreateReplace(output, error));
        lab.Subcommands.Add(CreateInit(error));
        lab.Subcommands.Add(CreateSystemctl(output, error));
        lab.Subcommands.Add(CreateCrictl(output, error));
        lab.Subcommands.Add(CreateStandIn(error));
        return lab;
    }

    private static Option<string> StateOption() => new("--state")
    {
        Description = $"the lab's state folder (env ETCD_DR_LAB_STATE; default {LabSpec.DefaultState})",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ETCD_DR_LAB_STATE") is { Length: > 0 } s ? s : LabSpec.DefaultState,
    };

    /// <summary>--host completion: the masters of the lab in --state (none when there is no lab).</summary>
    private static Func<System.CommandLine.Completions.CompletionContext, IEnumerable<System.CommandLine.Completions.CompletionItem>> LabHostNames(Option<string> state) =>
        CompletionCommand.Quietly(context =>
            context.ParseResult.GetValue(state) is { } folder && LabState.TryLoad(folder) is { } lab ? lab.Spec.Masters.Select(m => m.Name) : []);

    private static Command CreateUp(TextWriter output, TextWriter error)
    {
        var state = StateOption();
        var flavor = new Option<LabFlavor>("--flavor")
        {
            Description = "kubeadm (static pod etcd), kubespray (etcd.service + /etc/etcd.env) or kubespray-docker (a real dockerd per master, etcd in a container started by Kubespray's wrapper unit)",
            DefaultValueFactory = _ => LabFlavor.Kubeadm,
            CustomParser = r => LabFlavors.Parse(r.Tokens.Single().Value),
        };
        flavor.AcceptOnlyFromAmong("kubeadm", "kubespray", "kubespray-docker");
        var masters = new Option<int>("--masters") { Description = "how many masters (1-9)", DefaultValueFactory = _ => 3 };
        var net = new Option<string>("--net") { Description = "first three octets of the loopback /24; master i gets NET.i", DefaultValueFactory = _ => LabSpec.DefaultNet };
        var sshPort = new Option<int>("--ssh-port") { Description = "port of every master's sshd (22 is often the host's own)", DefaultValueFactory = _ => LabSpec.DefaultSshPort };
        var timeout = new Option<double>("--timeout") { Description = "seconds to wait for the masters and a healthy etcd", DefaultValueFactory = _ => 90 };
        var noHostEtcdctl = new Option<bool>("--no-host-etcdctl") { Description = "kubeadm: no etcdctl or etcdutl in the masters' /usr/bin and /usr/local/bin, as on a real kubeadm node (pods with the etcd image still run them)" };
        var format = Output.CreateOption();
        var command = new Command("up", "Build the lab: certificates, keys, per-master namespaces and files, sshd and etcd (kubeadm: also stand-in kube-apiserver, controller-manager and scheduler static pods, which write lease keys to etcd every second, and a stand-in crictl); waits until etcd is healthy and writes STATE/etcd-dr.yaml\n" +
            "Exit codes: 0 up and healthy; 2 bad arguments or a missing program; 4 etcd did not become healthy; 5 not root, or a lab is already up");
        foreach (var o in new Option[] { state, flavor, masters, net, sshPort, timeout, noHostEtcdctl, format })
            command.Options.Add(o);
        command.SetAction(Guarded.Action(error, async (parse, ct) =>
        {
            var spec = new LabSpec(parse.GetValue(state)!, parse.GetValue(flavor), parse.GetValue(masters), parse.GetValue(net)!, parse.GetValue(sshPort), parse.GetValue(noHostEtcdctl));
            var json = Output.IsJson(parse.GetValue(format));
            LabState built;
            try
            {
                built = await LabController.UpAsync(spec, TimeSpan.FromSeconds(parse.GetValue(timeout)), json ? TextWriter.Null : error, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (Environment.GetEnvironmentVariable("ETCD_DR_LAB_DEBUG") == "1")
            {
                await error.WriteLineAsync(ex.ToString()).ConfigureAwait(false);
                throw;
            }
            if (json)
                Output.WriteJson(output, new LabUpJson(built.Paths.Root, built.Paths.Inventory, built.Spec.Flavor.Name(), built.Spec.NoHostEtcdctl, built.Spec.Masters.Select(m => new LabUpMasterJson(m.Name, m.Address.ToString(), m.ClientUrl)), new LabUpClientJson(built.Paths.ClientCa, built.Paths.ClientCert, built.Paths.ClientCertKey)));
            else
                await output.WriteLineAsync(LabController.UsageText(built)).ConfigureAwait(false);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command CreateDown(TextWriter output, TextWriter error)
    {
        var state = StateOption();
        var command = new Command("down", "Kill every process of the lab, remove its iptables rules and cgroups, delete the state folder; safe after a crash and when run twice. " +
            "A process is the lab's by its cgroup, the exact ETCD_DR_LAB_STATE and ETCD_DR_LAB_MASTER markers, or a recorded init pid, never by its command line; the caller and its ancestors are spared");
        command.Options.Add(state);
        command.SetAction(Guarded.Action(error, async (parse, ct) =>
        {
            await LabController.DownAsync(parse.GetValue(state)!, output, ct).ConfigureAwait(false);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command CreateStatus(TextWriter output, TextWriter error)
    {
        var state = StateOption();
        var format = Output.CreateOption();
        var command = new Command("status", "Per master: init, sshd, etcd process, cut off or not, and the member's own health over TLS\n" +
            "Exit codes: 0 every master and member is up; 6 something is down; 2 no lab in the state folder");
        command.Options.Add(state);
        command.Options.Add(format);
        command.SetAction(Guarded.Action(error, async (parse, ct) =>
        {
            var report = await LabController.StatusAsync(parse.GetValue(state)!, ct).ConfigureAwait(false);
            if (Output.IsJson(parse.GetValue(format)))
            {
                Output.WriteJson(output, report);
            }
            else
            {
                var console = Tables.ConsoleFor(output);
                var table = new Table().AddColumns("MASTER", "ADDRESS", "INIT", "SSHD", "ETCD", "CUT OFF", "MEMBER", "HEALTH");
                foreach (var m in report.Masters)
                    table.AddRow(m.Name, m.Address, YesNo(m.Init), YesNo(m.Sshd), Markup.Escape(m.Etcd), m.CutOff ? "[red]yes[/]" : "no", m.MemberId ?? "-",
                        m.MemberId is null ? "[red]" + Markup.Escape(m.Health) + "[/]" : Markup.Escape(m.Health));
                console.Write(table);
                console.WriteLine($"{report.Flavor} lab in {report.StateDirectory}; inventory {report.Inventory}" +
                    (report.NoHostEtcdctl ? "; no etcdctl/etcdutl on the masters (--no-host-etcdctl)" : "") +
                    string.Concat(report.Replaced.Select(r => $"; {r.Key} replaced, now at {r.Value}")));
            }
            return report.AllHealthy ? ExitCodes.Ok : ExitCodes.Partial;
        }));
        return command;
    }

    private static string YesNo(bool value) => value ? "[green]up[/]" : "[red]down[/]";

    private static Command CreateBreak(TextWriter output, TextWriter error)
    {
        var state = StateOption();
        var kind = new Argument<string>("KIND") { Description = "kill-etcd | stop-etcd | wipe-data | corrupt-data | lose-quorum | cut-off | lose-host" };
        kind.AcceptOnlyFromAmong([.. LabBreakKinds.ByName.Keys]);
        var host = new Option<string?>("--host") { Description = "the master to break (lose-quorum: the first of the majority)" };
        host.CompletionSources.Add(LabHostNames(state));
        var noRestart = new Option<bool>("--no-restart") { Description = "kill-etcd: keep etcd down (Kubespray: the unit ends failed; kubeadm: kubelet is stopped first)" };
        var command = new Command("break", "Inject a fault into the lab (docs/lab.md describes each per flavor)");
        command.Arguments.Add(kind);
        command.Options.Add(host);
        command.Options.Add(noRestart);
        command.Options.Add(state);
        command.SetAction(Guarded.Action(error, async (parse, ct) =>
        {
            var message = await LabController.BreakAsync(parse.GetValue(state)!, LabBreakKinds.Parse(parse.GetValue(kind)!), parse.GetValue(host), parse.GetValue(noRestart), ct).ConfigureAwait(false);
            await output.WriteLineAsync(message).ConfigureAwait(false);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command CreateHeal(TextWriter output, TextWriter error)
    {
        var state = StateOption();
        var host = new Option<string>("--host") { Description = "the master to heal", Required = true };
        host.CompletionSources.Add(LabHostNames(state));
        var command = new Command("heal", "Undo cut-off (remove the iptables rules) and start etcd on the master again if it is stopped");
        command.Options.Add(host);
        command.Options.Add(state);
        command.SetAction(Guarded.Action(error, async (parse, ct) =>
        {
            await output.WriteLineAsync(await LabController.HealAsync(parse.GetValue(state)!, parse.GetValue(host)!, ct).ConfigureAwait(false)).ConfigureAwait(false);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command CreateReplace(TextWriter output, TextWriter error)
    {
        var state = StateOption();
        var host = new Option<string>("--host") { Description = "the lost master to replace (after `lab break lose-host`)", Required = true };
        var address = new Option<string?>("--address") { Description = "its new address, NET.1 to NET.9, which the member certificates cover (default: the next host number after every address the lab has used)" };
        var command = new Command("replace", "Bring up a fresh master with a lost master's name on a new address, waiting for a restore: the flavor's config files for the new address " +
            "(kubeadm: etcd manifest parked at /etc/kubernetes/etcd.yaml, kubelet running; Kubespray: etcd.env and unit, etcd.service stopped and disabled), an empty /var/lib/etcd, " +
            "and no PKI (no /etc/kubernetes/pki or kubeconfigs, no /etc/ssl/etcd/ssl). Rewrites STATE/etcd-dr.yaml and known_hosts\n" +
            "Exit codes: 0 replaced; 2 bad arguments; 5 the master is not lost, or the address is taken");
        command.Options.Add(host);
        command.Options.Add(address);
        command.Options.Add(state);
        command.SetAction(Guarded.Action(error, async (parse, ct) =>
        {
            await output.WriteLineAsync(await LabController.ReplaceAsync(parse.GetValue(state)!, parse.GetValue(host)!, parse.GetValue(address), TimeSpan.FromSeconds(60), ct).ConfigureAwait(false)).ConfigureAwait(false);
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>Hidden: the stand-in crictl's client; /usr/local/bin/crictl in a kubeadm master execs it.</summary>
    private static Command CreateCrictl(TextWriter output, TextWriter error)
    {
        var socket = new Option<string>("--socket") { Required = true };
        var words = new Argument<string[]>("ARGS") { Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("crictl", "(internal) the lab's stand-in for crictl") { Hidden = true };
        command.Options.Add(socket);
        command.Arguments.Add(words);
        command.SetAction(Guarded.Action(error, async (parse, ct) =>
        {
            var reply = await ControlChannel.SendAsync(parse.GetValue(socket)!, ["crictl", .. parse.GetValue(words) ?? []], TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
            await output.WriteAsync(reply.Stdout).ConfigureAwait(false);
            await error.WriteAsync(reply.Stderr).ConfigureAwait(false);
            return reply.Exit;
        }));
        return command;
    }

    /// <summary>Hidden: what the lab kubelet runs for the kube-apiserver, -controller-manager and -scheduler images.</summary>
    private static Command CreateStandIn(TextWriter error)
    {
        var component = new Argument<string>("COMPONENT");
        var flags = new Argument<string[]>("FLAGS") { Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("standin", "(internal) a stand-in control-plane component of a kubeadm lab master") { Hidden = true };
        command.Arguments.Add(component);
        command.Arguments.Add(flags);
        command.SetAction(Guarded.Action(error, (parse, ct) => ControlPlaneStandIn.RunAsync(parse.GetValue(component)!, parse.GetValue(flags) ?? [], ct)));
        return command;
    }

    /// <summary>Hidden: the first process of a master, started by `lab up` inside the new namespaces.</summary>
    private static Command CreateInit(TextWriter error)
    {
        var state = new Option<string>("--state") { Required = true };
        var master = new Option<string>("--master") { Required = true };
        var command = new Command("init", "(internal) run one lab master's init") { Hidden = true };
        command.Options.Add(state);
        command.Options.Add(master);
        command.SetAction(Guarded.Action(error, (parse, ct) => MasterInit.RunAsync(parse.GetValue(state)!, parse.GetValue(master)!, ct)));
        return command;
    }

    /// <summary>Hidden: the stand-in systemctl's client; /usr/local/bin/systemctl in a master execs it.</summary>
    private static Command CreateSystemctl(TextWriter output, TextWriter error)
    {
        var socket = new Option<string>("--socket") { Required = true };
        var words = new Argument<string[]>("ARGS") { Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("systemctl", "(internal) the lab's stand-in for systemctl") { Hidden = true };
        command.Options.Add(socket);
        command.Arguments.Add(words);
        command.SetAction(Guarded.Action(error, async (parse, ct) =>
        {
            var reply = await ControlChannel.SendAsync(parse.GetValue(socket)!, ["systemctl", .. parse.GetValue(words) ?? []], TimeSpan.FromMinutes(2), ct).ConfigureAwait(false);
            await output.WriteAsync(reply.Stdout).ConfigureAwait(false);
            await error.WriteAsync(reply.Stderr).ConfigureAwait(false);
            return reply.Exit;
        }));
        return command;
    }
}

/// <summary>`lab up --output json`.</summary>
public sealed record LabUpJson(string State, string Inventory, string Flavor, bool NoHostEtcdctl, IEnumerable<LabUpMasterJson> Masters, LabUpClientJson Client);

public sealed record LabUpMasterJson(string Name, string Address, string ClientUrl);

public sealed record LabUpClientJson(string Ca, string Cert, string Key);
