using EtcdDr.Remote;

namespace EtcdDr.Lab;

/// <summary>
/// `cut-off` as iptables rules in two chains of the lab's own (EDRLAB-TAG-IN from INPUT,
/// EDRLAB-TAG-OUT from OUTPUT): INPUT drops every packet addressed to the master (its etcd, peer
/// and ssh ports), OUTPUT drops every packet the master's processes send (matched by its cgroup,
/// see <see cref="LabCgroup"/>). Together the master can neither be reached nor reach anyone,
/// which is what a pulled cable does. `lab heal` and `lab down` remove the rules.
/// </summary>
public sealed class LabFirewall(string stateDirectory)
{
    private readonly string _tag = LabState.Tag(stateDirectory);

    private string InChain => $"EDRLAB-{_tag}-IN";
    private string OutChain => $"EDRLAB-{_tag}-OUT";

    public async Task CutOffAsync(LabMaster master, LabCgroup cgroup, CancellationToken ct)
    {
        await EnsureChainsAsync(ct).ConfigureAwait(false);
        if (!await IsCutOffAsync(master, ct).ConfigureAwait(false))
        {
            await IptablesAsync(["-A", InChain, "-d", master.Address + "/32", "-j", "DROP"], ct).ConfigureAwait(false);
            await IptablesAsync(["-A", OutChain, "-m", "cgroup", "--path", cgroup.RelativePath(master.Name), "-j", "DROP"], ct).ConfigureAwait(false);
        }
    }

    public async Task HealAsync(LabMaster master, LabCgroup? cgroup, CancellationToken ct)
    {
        await TryIptablesAsync(["-D", InChain, "-d", master.Address + "/32", "-j", "DROP"], ct).ConfigureAwait(false);
        if (cgroup is not null)
            await TryIptablesAsync(["-D", OutChain, "-m", "cgroup", "--path", cgroup.RelativePath(master.Name), "-j", "DROP"], ct).ConfigureAwait(false);
    }

    public async Task<bool> IsCutOffAsync(LabMaster master, CancellationToken ct) =>
        (await TryIptablesAsync(["-C", InChain, "-d", master.Address + "/32", "-j", "DROP"], ct).ConfigureAwait(false)).Succeeded;

    /// <summary>Removes both chains and their jumps; fine when they never existed or iptables is absent.</summary>
    public async Task RemoveAllAsync(CancellationToken ct)
    {
        foreach (var (builtin, chain) in new[] { ("INPUT", InChain), ("OUTPUT", OutChain) })
        {
            // -D removes one jump per call; a crashed up could have added it twice.
            for (var i = 0; i < 5 && (await TryIptablesAsync(["-D", builtin, "-j", chain], ct).ConfigureAwait(false)).Succeeded; i++)
            {
            }
            await TryIptablesAsync(["-F", chain], ct).ConfigureAwait(false);
            await TryIptablesAsync(["-X", chain], ct).ConfigureAwait(false);
        }
    }

    private async Task EnsureChainsAsync(CancellationToken ct)
    {
        foreach (var (builtin, chain) in new[] { ("INPUT", InChain), ("OUTPUT", OutChain) })
        {
            await TryIptablesAsync(["-N", chain], ct).ConfigureAwait(false);
            if (!(await TryIptablesAsync(["-C", builtin, "-j", chain], ct).ConfigureAwait(false)).Succeeded)
                await IptablesAsync(["-I", builtin, "1", "-j", chain], ct).ConfigureAwait(false);
        }
    }

    private static async Task IptablesAsync(IReadOnlyList<string> args, CancellationToken ct)
    {
        var result = await TryIptablesAsync(args, ct).ConfigureAwait(false);
        if (!result.Succeeded)
            throw new DrException($"iptables {string.Join(' ', args)} failed: {result.Stderr.Trim()}");
    }

    private static async Task<ProcessResult> TryIptablesAsync(IReadOnlyList<string> args, CancellationToken ct)
    {
        var iptables = LabTools.Find("iptables");
        if (iptables is null)
            return new ProcessResult(127, "", "iptables is not installed (apt-get install iptables)");
        // -w: wait for the xtables lock instead of failing when another lab or test holds it.
        return await ProcessRunner.RunAsync(iptables, ["-w", "5", .. args], new ProcessRunOptions { Timeout = TimeSpan.FromSeconds(30) }, ct).ConfigureAwait(false);
    }
}
