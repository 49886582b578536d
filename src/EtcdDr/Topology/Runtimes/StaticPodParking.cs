namespace EtcdDr.Topology.Runtimes;

/// <summary>
/// Static pods are stopped by taking their manifest out of the folder kubelet watches and started by
/// putting it back. The parking folder is outside the manifests folder because kubelet reads every
/// file in there, whatever its name. A rename is atomic, so after any crash a manifest is in exactly
/// one of the two places: live = started, parked = stopped. Both at once only happens by hand
/// (someone restored a copy), and then we refuse rather than guess which one is right.
/// </summary>
public sealed class StaticPodParking(MasterShell shell)
{
    public const string ManifestsDirectory = "/etc/kubernetes/manifests";
    public const string ParkingDirectory = "/etc/kubernetes/etcd-dr-parked";

    public static string Live(string file) => $"{ManifestsDirectory}/{file}";
    public static string Parked(string file) => $"{ParkingDirectory}/{file}";

    public enum Place { None, Live, Parked }

    public async Task<Place> WhereAsync(string file, CancellationToken ct)
    {
        var present = await shell.PresentAsync([Live(file), Parked(file)], ct).ConfigureAwait(false);
        return (present.Contains(Live(file)), present.Contains(Parked(file))) switch
        {
            (true, true) => throw new DrException(
                $"{shell.Host.Name}: both {Live(file)} and {Parked(file)} exist; compare them, keep one (the live one starts the pod) and run again", FailureKind.Refused),
            (true, false) => Place.Live,
            (false, true) => Place.Parked,
            _ => Place.None,
        };
    }

    /// <summary>Parks the manifest when it is live; returns where it is now.</summary>
    public async Task<Place> ParkAsync(string file, CancellationToken ct)
    {
        var place = await WhereAsync(file, ct).ConfigureAwait(false);
        if (place != Place.Live)
            return place;
        await shell.MustAsync(["mkdir", "-p", "-m", "0700", ParkingDirectory], ct).ConfigureAwait(false);
        await shell.MustAsync(["mv", "-T", "--", Live(file), Parked(file)], ct).ConfigureAwait(false);
        return Place.Parked;
    }

    /// <summary>Puts a parked manifest back; returns where it is now.</summary>
    public async Task<Place> UnparkAsync(string file, CancellationToken ct)
    {
        var place = await WhereAsync(file, ct).ConfigureAwait(false);
        if (place != Place.Parked)
            return place;
        await shell.MustAsync(["mv", "-T", "--", Parked(file), Live(file)], ct).ConfigureAwait(false);
        return Place.Live;
    }

    public static string DescribePark(string file) => $"mv -T -- {Live(file)} {Parked(file)}";
    public static string DescribeUnpark(string file) => $"mv -T -- {Parked(file)} {Live(file)}";
}
