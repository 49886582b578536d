namespace EtcdDr.Topology.Runtimes;

/// <summary>
/// The Kubernetes control plane around etcd on a master: kube-apiserver, kube-controller-manager and
/// kube-scheduler as kubeadm static pods (Kubespray masters run them the same way), and kubelet as a
/// unit. One implementation for every flavor: the runtimes share it.
/// </summary>
public sealed class ControlPlaneStaticPods(MasterShell shell, MasterTopology topology)
{
    public static readonly string[] Components = ["kube-apiserver", "kube-controller-manager", "kube-scheduler"];
    public const string ContainerRegex = "^(kube-apiserver|kube-controller-manager|kube-scheduler)$";
    public const int DefaultSecurePort = 6443;

    private readonly StaticPodParking _parking = new(shell);
    private readonly Crictl _crictl = new(shell, Crictl.PathFor(topology));

    /// <summary>Parks the manifests that exist, waits until the pods are gone, stops kubelet.</summary>
    public async Task StopAsync(CancellationToken ct)
    {
        var apiserver = await ApiServerEndpointAsync(ct).ConfigureAwait(false);
        var any = false;
        foreach (var component in Components)
            any |= await _parking.ParkAsync(component + ".yaml", ct).ConfigureAwait(false) != StaticPodParking.Place.None;
        if (any)
        {
            await new KubeletPods(shell, _crictl, topology.HasKubelet).WaitGoneAsync(
                "the control plane static pods stopping", apiserver is null ? [] : [apiserver], ContainerRegex, ct).ConfigureAwait(false);
        }
        if (topology.HasKubelet)
            await shell.MustAsync(["systemctl", "stop", "kubelet"], ct).ConfigureAwait(false);
    }

    /// <summary>Starts kubelet and puts the parked manifests back; the API server's health is the caller's to check.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        if (topology.HasKubelet)
        {
            await shell.MustAsync(["systemctl", "start", "kubelet"], ct).ConfigureAwait(false);
            await shell.WaitUntilAsync("kubelet starting", shell.Options.StartTimeout, async token =>
                await shell.UnitStateAsync("kubelet", token).ConfigureAwait(false) is var state && state == "active" ? null : $"kubelet is {state}", ct).ConfigureAwait(false);
        }
        foreach (var component in Components)
            await _parking.UnparkAsync(component + ".yaml", ct).ConfigureAwait(false);
    }

    public IReadOnlyList<string> Describe(bool stop)
    {
        var lines = new List<string>();
        if (stop)
        {
            foreach (var component in Components)
                lines.Add(StaticPodParking.DescribePark(component + ".yaml") + " (when it exists)");
            lines.Add(KubeletPods.DescribeWait([new Endpoint("<apiserver address>", DefaultSecurePort)], _crictl.Path, ContainerRegex));
            if (topology.HasKubelet)
                lines.Add("systemctl stop kubelet");
        }
        else
        {
            if (topology.HasKubelet)
                lines.Add("systemctl start kubelet; wait until `systemctl is-active kubelet` says active");
            foreach (var component in Components)
                lines.Add(StaticPodParking.DescribeUnpark(component + ".yaml") + " (when it is parked)");
        }
        return lines;
    }

    /// <summary>
    /// Where the API server listens, from its manifest (live or parked): --bind-address unless it is a
    /// wildcard, else --advertise-address, and --secure-port. Every lab master shares one network
    /// namespace, so "anything on 6443" would wait on the neighbours' API servers too.
    /// </summary>
    private async Task<Endpoint?> ApiServerEndpointAsync(CancellationToken ct)
    {
        const string file = "kube-apiserver.yaml";
        var place = await _parking.WhereAsync(file, ct).ConfigureAwait(false);
        if (place == StaticPodParking.Place.None)
            return null;
        var path = StaticPodParking.PathOf(place, file);
        var pod = StaticPodManifest.Parse(await shell.ReadTextAsync(path, ct).ConfigureAwait(false), $"{shell.Host.Name}:{path}");
        var bind = pod.Flag("bind-address");
        var address = bind is null or "0.0.0.0" or "::" ? pod.Flag("advertise-address") ?? "0.0.0.0" : bind;
        var port = int.TryParse(pod.Flag("secure-port"), System.Globalization.CultureInfo.InvariantCulture, out var p) ? p : DefaultSecurePort;
        return new Endpoint(address, port);
    }
}
