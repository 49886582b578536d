using EtcdDr.Remote;

namespace EtcdDr.Topology.Runtimes;

/// <summary>
/// etcd as a kubeadm static pod: stopped by parking /etc/kubernetes/manifests/etcd.yaml outside the
/// manifests folder and waiting for kubelet to stop the container, started by putting it back.
/// Its flags are edited in the manifest where it is (live or parked), and etcdctl/etcdutl run from
/// the host when discovery found them there, else from the etcd image as a one-shot static pod.
/// </summary>
public sealed class KubeadmRuntime(MasterTopology topology, IRemoteHost host, EtcdRuntimeOptions? options = null)
    : EtcdRuntimeBase(topology, host, options)
{
    public const string EtcdContainerRegex = "^etcd$";

    private string ManifestFile => Path.GetFileName(Topology.ConfigFile) is { Length: > 0 } f ? f : "etcd.yaml";
    private StaticPodParking Parking => new(Shell);
    private Crictl Crictl => new(Shell, Crictl.PathFor(Topology));

    public override async Task StopEtcdAsync(CancellationToken ct)
    {
        if (await Parking.ParkAsync(ManifestFile, ct).ConfigureAwait(false) == StaticPodParking.Place.None)
            throw NoManifest();
        await new KubeletPods(Shell, Crictl, Topology.HasKubelet).WaitGoneAsync("etcd stopping", MemberEndpoints, EtcdContainerRegex, ct).ConfigureAwait(false);
    }

    public override async Task StartEtcdAsync(CancellationToken ct)
    {
        if (await Parking.UnparkAsync(ManifestFile, ct).ConfigureAwait(false) == StaticPodParking.Place.None)
            throw NoManifest();
        if (Topology.HasKubelet)
            await Shell.MustAsync(["systemctl", "start", "kubelet"], ct).ConfigureAwait(false);
        await Shell.WaitUntilAsync("etcd starting", Shell.Options.StartTimeout, async token =>
            (await Shell.ListeningOfAsync(ClientEndpoints, token).ConfigureAwait(false)).Count > 0 ? null : $"nothing listens on {string.Join(", ", ClientEndpoints)} yet", ct).ConfigureAwait(false);
    }

    /// <summary>Its ports listen, or the runtime still has its container.</summary>
    public override async Task<bool> IsEtcdRunningAsync(CancellationToken ct) =>
        (await Shell.ListeningOfAsync(MemberEndpoints, ct).ConfigureAwait(false)).Count > 0
        || await Crictl.RunningAsync(EtcdContainerRegex, ct).ConfigureAwait(false) is { Count: > 0 };

    public override IReadOnlyList<string> DescribeEtcd(bool stop) => stop
        ?
        [
            $"mkdir -p -m 0700 {StaticPodParking.ParkingDirectory}",
            StaticPodParking.DescribePark(ManifestFile) + " (unless it is parked already)",
            KubeletPods.DescribeWait(MemberEndpoints, Crictl.Path, EtcdContainerRegex),
        ]
        :
        [
            StaticPodParking.DescribeUnpark(ManifestFile) + " (unless it is live already)",
            .. Topology.HasKubelet ? new[] { "systemctl start kubelet" } : [],
            $"wait until {string.Join(" or ", ClientEndpoints)} listens (ss -Hltn)",
        ];

    public override string EditConfig(string text, IReadOnlyDictionary<string, string?> settings) =>
        ManifestFlagEditor.Edit(text, settings, $"{Host.Name}:{Topology.ConfigFile}");

    /// <summary>The live manifest, or the parked one while etcd is stopped (writing the live path then would start it).</summary>
    protected override async Task<string> ConfigPathAsync(CancellationToken ct) =>
        await Parking.WhereAsync(ManifestFile, ct).ConfigureAwait(false) is var place && place != StaticPodParking.Place.None
            ? StaticPodParking.PathOf(place, ManifestFile)
            : throw NoManifest();

    /// <summary>Never the manifests folder: kubelet would read the temporary copy as a second pod.</summary>
    protected override string TempDirectoryFor(string configPath) =>
        configPath.StartsWith(StaticPodParking.ManifestsDirectory + "/", StringComparison.Ordinal) ? StaticPodParking.ParkingDirectory : Path.GetDirectoryName(configPath)!;

    protected override IRestoreExecutor? ImageExecutor() =>
        Topology.Image is { } image ? new StaticPodRestoreExecutor(Shell, Topology, image) : null;

    private DrException NoManifest() => new(
        $"{Host.Name}: none of {StaticPodParking.Live(ManifestFile)}, {StaticPodParking.Parked(ManifestFile)} or {StaticPodParking.ParkedByHand(ManifestFile)} exists; put the etcd manifest back by hand", FailureKind.Refused);
}
