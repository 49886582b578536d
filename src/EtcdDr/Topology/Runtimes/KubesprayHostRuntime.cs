using EtcdDr.Remote;

namespace EtcdDr.Topology.Runtimes;

/// <summary>
/// Kubespray's etcd_deployment_type host (and a plain etcd.service reading an EnvironmentFile):
/// systemd starts and stops etcd, ETCD_* variables in /etc/etcd.env configure it, the tools are in
/// /usr/local/bin, and the unit's User= owns the data dir. The control plane around it is shared with
/// kubeadm (Kubespray masters run it as kubeadm static pods).
/// </summary>
public sealed class KubesprayHostRuntime(MasterTopology topology, IRemoteHost host, EtcdRuntimeOptions? options = null)
    : EtcdRuntimeBase(topology, host, options)
{
    private static readonly HashSet<string> Stopping = new(["active", "activating", "deactivating", "reloading"], StringComparer.Ordinal);

    public string Unit => Topology.UnitFile is { } unit ? Path.GetFileNameWithoutExtension(unit) : "etcd";

    public override async Task StopEtcdAsync(CancellationToken ct)
    {
        await Shell.MustAsync(["systemctl", "stop", Unit], ct).ConfigureAwait(false);
        await Shell.WaitUntilAsync("etcd stopping", Shell.Options.StopTimeout, async token =>
        {
            var state = await Shell.UnitStateAsync(Unit, token).ConfigureAwait(false);
            if (Stopping.Contains(state))
                return $"{Unit} is {state}";
            var listening = await Shell.ListeningOfAsync(MemberEndpoints, token).ConfigureAwait(false);
            return listening.Count > 0 ? $"{string.Join(", ", listening)} still listening" : null;
        }, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// --no-block: the unit is Type=notify and etcd notifies only once it has joined a quorum, so a
    /// blocking start of the first member of a restored cluster would wait for the others. The client
    /// port listens before that, which is what "started" means here; health is the caller's.
    /// </summary>
    public override async Task StartEtcdAsync(CancellationToken ct)
    {
        // A member re-added with an empty data dir (its old one moved aside, or a fresh replacement
        // host) starts with none: etcd running as a non-root User= cannot create it under /var/lib.
        if (DataDirOwner is { } owner && !(await Shell.PresentAsync([DataDir], ct).ConfigureAwait(false)).Contains(DataDir))
            await Shell.MustAsync(["install", "-d", "-m", "0700", "-o", owner.Split(':')[0], "-g", owner.Split(':')[1], DataDir], ct).ConfigureAwait(false);
        await Shell.RunAsync(["systemctl", "reset-failed", Unit], ct).ConfigureAwait(false);
        await Shell.MustAsync(["systemctl", "start", "--no-block", Unit], ct).ConfigureAwait(false);
        await Shell.WaitUntilAsync("etcd starting", Shell.Options.StartTimeout, async token =>
        {
            var state = await Shell.UnitStateAsync(Unit, token).ConfigureAwait(false);
            if (state is not ("active" or "activating"))
                return $"{Unit} is {state}";
            return (await Shell.ListeningOfAsync(ClientEndpoints, token).ConfigureAwait(false)).Count > 0 ? null : $"{Unit} is {state} but nothing listens on {string.Join(", ", ClientEndpoints)} yet";
        }, ct).ConfigureAwait(false);
    }

    public override async Task<bool> IsEtcdRunningAsync(CancellationToken ct) =>
        Stopping.Contains(await Shell.UnitStateAsync(Unit, ct).ConfigureAwait(false))
        || (await Shell.ListeningOfAsync(MemberEndpoints, ct).ConfigureAwait(false)).Count > 0;

    public override IReadOnlyList<string> DescribeEtcd(bool stop) => stop
        ? [$"systemctl stop {Unit}", $"wait until `systemctl is-active {Unit}` is neither active nor activating and {string.Join(" and ", MemberEndpoints)} no longer listen (ss -Hltn)"]
        : [.. DataDirOwner is { } owner ? [$"install -d -m 0700 -o {owner.Split(':')[0]} -g {owner.Split(':')[1]} {DataDir}  (only when absent: etcd runs as {owner.Split(':')[0]})"] : Array.Empty<string>(),
            $"systemctl reset-failed {Unit}", $"systemctl start --no-block {Unit}", $"wait until `systemctl is-active {Unit}` is active or activating and {string.Join(" or ", ClientEndpoints)} listens (ss -Hltn)"];

    public override string EditConfig(string text, IReadOnlyDictionary<string, string?> settings) => EnvFileEditor.Edit(text, settings);

    protected override Task<string> ConfigPathAsync(CancellationToken ct) => Task.FromResult(Topology.ConfigFile);

    protected override string TempDirectoryFor(string configPath) => Path.GetDirectoryName(configPath) ?? "/";

    /// <summary>Kubespray installs etcdctl/etcdutl on the host; there is no image to fall back on.</summary>
    protected override IRestoreExecutor? ImageExecutor() => null;
}
