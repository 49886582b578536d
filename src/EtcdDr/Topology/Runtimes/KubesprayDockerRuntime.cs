using EtcdDr.Remote;
using EtcdDr.Remote.Docker;

namespace EtcdDr.Topology.Runtimes;

/// <summary>
/// Kubespray's etcd_deployment_type docker: a systemd unit runs /usr/local/bin/etcd, a wrapper script
/// doing `docker run ... quay.io/coreos/etcd`, configured by /etc/etcd.env (docker's --env-file). Its
/// owner stops and starts it through that unit (ExecStartPre removes a stale container, ExecStop
/// stops it), so the runtime does too, and checks the container itself through the engine API; a
/// restore without etcd tools on the host runs them in a one-shot container of the same image.
/// </summary>
public sealed class KubesprayDockerRuntime(MasterTopology topology, IRemoteHost host, EtcdRuntimeOptions? options = null)
    : EtcdRuntimeBase(topology, host, options)
{
    private static readonly HashSet<string> Stopping = new(["active", "activating", "deactivating", "reloading"], StringComparer.Ordinal);

    public string Unit => Topology.UnitFile is { } unit ? Path.GetFileNameWithoutExtension(unit) : "etcd";

    public string? Container => Topology.ContainerName;

    public override async Task StopEtcdAsync(CancellationToken ct)
    {
        await Shell.MustAsync(["systemctl", "stop", Unit], ct).ConfigureAwait(false);
        await Shell.WaitUntilAsync("etcd stopping", Shell.Options.StopTimeout, async token =>
        {
            var state = await Shell.UnitStateAsync(Unit, token).ConfigureAwait(false);
            if (Stopping.Contains(state))
                return $"{Unit} is {state}";
            if (await RunningContainerAsync(token).ConfigureAwait(false) is { } running)
                return $"container {running.Name} still runs";
            var listening = await Shell.ListeningOfAsync(MemberEndpoints, token).ConfigureAwait(false);
            return listening.Count > 0 ? $"{string.Join(", ", listening)} still listening" : null;
        }, ct).ConfigureAwait(false);
    }

    /// <summary>--no-block as for the host deployment: started means the container runs and the client
    /// port listens; a restored first member cannot report ready before the others join.</summary>
    public override async Task StartEtcdAsync(CancellationToken ct)
    {
        await Shell.RunAsync(["systemctl", "reset-failed", Unit], ct).ConfigureAwait(false);
        await Shell.MustAsync(["systemctl", "start", "--no-block", Unit], ct).ConfigureAwait(false);
        await Shell.WaitUntilAsync("etcd starting", Shell.Options.StartTimeout, async token =>
        {
            var state = await Shell.UnitStateAsync(Unit, token).ConfigureAwait(false);
            if (state is not ("active" or "activating"))
                return $"{Unit} is {state}";
            if (await RunningContainerAsync(token).ConfigureAwait(false) is null)
                return $"{Unit} is {state} but container {Container ?? "etcd"} does not run yet";
            return (await Shell.ListeningOfAsync(ClientEndpoints, token).ConfigureAwait(false)).Count > 0 ? null : $"container {Container} runs but nothing listens on {string.Join(", ", ClientEndpoints)} yet";
        }, ct).ConfigureAwait(false);
    }

    public override async Task<bool> IsEtcdRunningAsync(CancellationToken ct) =>
        Stopping.Contains(await Shell.UnitStateAsync(Unit, ct).ConfigureAwait(false))
        || await RunningContainerAsync(ct).ConfigureAwait(false) is not null
        || (await Shell.ListeningOfAsync(MemberEndpoints, ct).ConfigureAwait(false)).Count > 0;

    public override IReadOnlyList<string> DescribeEtcd(bool stop) => stop
        ? [$"systemctl stop {Unit}   (its ExecStop stops container {Container})",
           $"wait until `systemctl is-active {Unit}` is neither active nor activating, container {Container} no longer runs (engine API) and {string.Join(" and ", MemberEndpoints)} no longer listen (ss -Hltn)"]
        : [$"systemctl reset-failed {Unit}", $"systemctl start --no-block {Unit}   (its ExecStartPre removes a stopped container {Container})",
           $"wait until `systemctl is-active {Unit}` is active or activating, container {Container} runs (engine API) and {string.Join(" or ", ClientEndpoints)} listens (ss -Hltn)"];

    public override string EditConfig(string text, IReadOnlyDictionary<string, string?> settings) => EnvFileEditor.Edit(text, settings);

    protected override Task<string> ConfigPathAsync(CancellationToken ct) => Task.FromResult(Topology.ConfigFile);

    protected override string TempDirectoryFor(string configPath) => Path.GetDirectoryName(configPath) ?? "/";

    protected override IRestoreExecutor? ImageExecutor() =>
        Topology.Image is { } image ? new DockerRestoreExecutor(Shell, image, Topology.MemberName) : null;

    /// <summary>The etcd container when it runs, through the engine (forward opened and closed per call).</summary>
    private async Task<DockerContainerDetails?> RunningContainerAsync(CancellationToken ct)
    {
        await using var engine = await Shell.Options.DockerEngine(Host, DockerEngine.DefaultSocket, ct).ConfigureAwait(false);
        var container = await DockerEtcdContainer.FindAsync(engine, Container, Topology.Image, ct).ConfigureAwait(false);
        return container is { Running: true } ? container : null;
    }
}
