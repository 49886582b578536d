using System.CommandLine;
using EtcdDr.Remote;
using Spectre.Console;

namespace EtcdDr.Cli;

/// <summary>`etcd-dr inventory check` and `etcd-dr discover`.</summary>
public static class InventoryCommands
{
    /// <summary>ssh logins `inventory check --connect` runs at once.</summary>
    public const int ParallelConnections = 16;

    public static Command CreateInventory(TextWriter output, TextWriter error)
    {
        var inventory = new Command("inventory", "Check an inventory: etcd-dr.yaml, or Kubespray's hosts.yaml / INI");
        var options = new InventoryOptionsCli();
        var connect = new Option<bool>("--connect") { Description = "also log in to every master over SSH (and check sudo)" };
        var format = Output.CreateOption();
        var check = new Command("check", "Say what is wrong with the inventory and where; with --connect, whether each master answers over SSH\n" +
            "Exit codes: 0 fine; 2 the file is wrong (message names file:line) or names a missing identity, known_hosts or config file; 4 a master cannot be reached");
        options.AddTo(check);
        check.Options.Add(connect);
        check.Options.Add(format);
        check.SetAction(Guarded.Action(error, async (parse, ct) =>
        {
            if (!options.Given(parse))
                throw new DrException("give the inventory with -i FILE", FailureKind.Usage);
            await using var remote = options.Open(parse); // parsing throws with file:line on errors
            var missing = InventoryChecks.MissingFiles(remote.Inventory);
            foreach (var problem in missing)
                await error.WriteLineAsync($"etcd-dr: {parse.GetValue(options.Inventory)}: {problem}").ConfigureAwait(false);
            var hosts = remote.Hosts.ToList();
            var masters = remote.Inventory.Masters.ToDictionary(m => m.Name, StringComparer.Ordinal);
            var results = new string?[hosts.Count];
            var unreachable = 0;
            if (parse.GetValue(connect))
            {
                try
                {
                    // In parallel, but bounded: 5,000 hosts one at a time took minutes, all at once
                    // would be 5,000 ssh processes.
                    await Parallel.ForEachAsync(Enumerable.Range(0, hosts.Count), new ParallelOptions { MaxDegreeOfParallelism = ParallelConnections, CancellationToken = ct },
                        async (i, token) =>
                        {
                            try
                            {
                                var id = await hosts[i].RunAsync(["id", "-un"], RemoteRunOptions.Root, token).ConfigureAwait(false);
                                results[i] = id.ExitCode == 0 ? $"ok (root commands run as {id.Stdout.Trim()})" : $"login ok, `id` failed: {id.Stderr.Trim()}";
                            }
                            catch (RemoteException ex)
                            {
                                Interlocked.Increment(ref unreachable);
                                results[i] = $"{ex.Failure}: {ex.Message}";
                            }
                        }).ConfigureAwait(false);
                }
                finally
                {
                    // Closing the connections one at a time took as long as opening them did.
                    await Parallel.ForEachAsync(hosts, new ParallelOptions { MaxDegreeOfParallelism = ParallelConnections },
                        async (host, _) => await host.DisposeAsync().ConfigureAwait(false)).ConfigureAwait(false);
                }
            }
            var rows = hosts.Select((host, i) =>
            {
                var master = masters[host.Name];
                return (master.Name, Address: $"{master.Address}{(master.Port is { } p ? ":" + p : "")}", Result: results[i] ?? "not checked (add --connect)");
            }).ToList();
            if (Output.IsJson(parse.GetValue(format)))
            {
                Output.WriteJson(output, new InventoryCheckJson(remote.Inventory.Cluster, rows.Select(r => new InventoryCheckRowJson(r.Name, r.Address, r.Result))));
            }
            else
            {
                var table = new Table().AddColumns("MASTER", "ADDRESS", "SSH");
                foreach (var r in rows)
                    table.AddRow(Markup.Escape(r.Name), Markup.Escape(r.Address), Markup.Escape(r.Result));
                var console = Tables.ConsoleFor(output);
                console.WriteLine($"cluster {remote.Inventory.Cluster}, {rows.Count} masters");
                console.Write(table);
            }
            // A missing key or known_hosts is the file's fault, and the likely cause of any SSH failure above.
            return missing.Count > 0 ? ExitCodes.Usage : unreachable > 0 ? ExitCodes.Unreachable : ExitCodes.Ok;
        }));
        inventory.Subcommands.Add(check);
        return inventory;
    }

    public static Command CreateDiscover(TextWriter output, TextWriter error)
    {
        var options = new InventoryOptionsCli();
        var format = Output.CreateOption();
        var discover = new Command("discover", "Read how etcd runs on each master: flavor, member name, data dir (on the host; the pod's path too when it differs), URLs, certificates, etcd version, etcdctl/etcdutl, kubelet, and notes\n" +
            "Exit codes: 0 every master discovered; 6 some failed; 4 none");
        options.AddTo(discover);
        discover.Options.Add(format);
        discover.SetAction(Guarded.Action(error, async (parse, ct) =>
        {
            if (!options.Given(parse))
                throw new DrException("give the inventory with -i FILE", FailureKind.Usage);
            await using var remote = options.Open(parse);
            var found = await remote.DiscoverAsync(ct).ConfigureAwait(false);
            if (Output.IsJson(parse.GetValue(format)))
            {
                Output.WriteJson(output, found.Select(d => new DiscoveredJson(d.Master.Name, d.Topology, d.Error?.Message)));
            }
            else
            {
                var console = Tables.ConsoleFor(output);
                var table = new Table().AddColumns("MASTER", "FLAVOR", "MEMBER", "VERSION", "DATA DIR", "CLIENT URL", "PEER URL", "ETCDCTL", "ETCDUTL", "KUBELET", "CLIENT CERT");
                foreach (var d in found)
                {
                    if (d.Topology is not { } t)
                    {
                        table.AddRow(Markup.Escape(d.Master.Name), "[red]error[/]", Markup.Escape(d.Error!.Message), "", "", "", "", "", "", "", "");
                        continue;
                    }
                    // The host path is what a restore moves aside; the pod's own path only when it differs.
                    var dataDir = t.PodDataDir is { } inside && inside != t.DataDir ? $"{t.DataDir} (in pod: {inside})" : t.DataDir;
                    table.AddRow(Markup.Escape(t.Host), t.Flavor.ToString(), Markup.Escape(t.MemberName), t.EtcdVersion ?? "?", Markup.Escape(dataDir),
                        Markup.Escape(string.Join(",", t.ClientUrls)), Markup.Escape(string.Join(",", t.PeerUrls)), Tool(t.Etcdctl), Tool(t.Etcdutl),
                        t.HasKubelet ? t.KubeletState ?? "present" : "none", Markup.Escape(t.Certs.ClientCert ?? "-"));
                }
                console.Write(table);
                foreach (var t in found.Select(d => d.Topology).OfType<EtcdDr.Topology.MasterTopology>())
                {
                    foreach (var note in t.Notes)
                        output.WriteLine($"note: {t.Host}: {note}");
                }
            }
            return found.All(d => d.Error is not null) ? ExitCodes.Unreachable : found.Any(d => d.Error is not null) ? ExitCodes.Partial : ExitCodes.Ok;
        }));
        return discover;
    }

    private static string Tool(EtcdDr.Topology.EtcdTool tool) => Markup.Escape(tool.Kind == "host" ? tool.Path! : tool.Kind);
}

/// <summary>`inventory check --output json`.</summary>
public sealed record InventoryCheckJson(string Cluster, IEnumerable<InventoryCheckRowJson> Masters);

public sealed record InventoryCheckRowJson(string Name, string Address, string Result);

/// <summary>`discover --output json`, one per master.</summary>
public sealed record DiscoveredJson(string Master, EtcdDr.Topology.MasterTopology? Topology, string? Error);
