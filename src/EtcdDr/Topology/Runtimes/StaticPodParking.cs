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

    /// <summary>Where operators (and the lab, for a replacement master awaiting its restore) park a
    /// manifest by hand: beside the manifests folder. Read as "stopped", put back by a start.</summary>
    public static string ParkedByHand(string file) => $"/etc/kubernetes/{file}";

    public enum Place { None, Live, Parked, ParkedByHand }

    public static string PathOf(Place place, string file) => place switch
    {
        Place.Live => Live(file),
        Place.Parked => Parked(file),
        Place.ParkedByHand => ParkedByHand(file),
        _ => throw new ArgumentOutOfRangeException(nameof(place), place, "no manifest"),
    };

    public async Task<Place> WhereAsync(string file, CancellationToken ct)
    {
        var present = await shell.PresentAsync([Live(file), Parked(file)], ct).ConfigureAwait(false);
        var place = (present.Contains(Live(file)), present.Contains(Parked(file))) switch
        {
            (true, true) => throw Both(Live(file), Parked(file)),
            (true, false) => Place.Live,
            (false, true) => Place.Parked,
            _ => Place.None,
        };
        // Only when neither is there (a live or our parked manifest wins over a copy by hand), so
        // the usual case stays one round trip.
        if (place == Place.None && await shell.TestAsync("-f", ParkedByHand(file), ct).ConfigureAwait(false))
            return Place.ParkedByHand;
        return place;
    }

    private DrException Both(string a, string b) => new(
        $"{shell.Host.Name}: both {a} and {b} exist; compare them, keep one (the live one starts the pod) and run again", FailureKind.Refused);

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
        if (place is not (Place.Parked or Place.ParkedByHand))
            return place;
        await shell.MustAsync(["mv", "-T", "--", PathOf(place, file), Live(file)], ct).ConfigureAwait(false);
        return Place.Live;
    }

    public static string DescribePark(string file) => $"mv -T -- {Live(file)} {Parked(file)}";
    public static string DescribeUnpark(string file) => $"mv -T -- {Parked(file)} {Live(file)}";
}
