using EtcdDr.Topology;
using PkiVault.Archive;

namespace EtcdDr.Remote;

/// <summary>Which PKI set to take from a master, and how that was decided (for a note to the operator).</summary>
public sealed record PkiFlavorChoice(PkiFlavor Flavor, string? Note);

/// <summary>
/// Decides the PKI set of a master for `pki backup --host` without --flavor. Discovery says it when
/// etcd is configured; when it cannot (a kubeadm master whose etcd manifest was moved out, etcd's
/// files half gone: exactly when a PKI backup matters most), the files on the master decide, as
/// <see cref="PkiLayout.Detect"/> does for a local tree.
/// </summary>
public static class RemotePkiFlavor
{
    public const string KubeadmPki = "/etc/kubernetes/pki";
    public static readonly string[] KubesprayMarkers = ["/etc/ssl/etcd/ssl", "/etc/etcd.env"];

    public static async Task<PkiFlavorChoice> DecideAsync(IRemoteHost host, CancellationToken ct)
    {
        string why;
        try
        {
            var topology = await TopologyDetector.DetectAsync(host, ct).ConfigureAwait(false);
            return new PkiFlavorChoice(topology.Flavor == EtcdFlavor.Kubeadm ? PkiFlavor.Kubeadm : PkiFlavor.Kubespray, null);
        }
        catch (RemoteException ex) when (ex.Failure != RemoteFailure.CommandFailed)
        {
            throw; // the host itself cannot be reached: no file listing would work either
        }
        catch (DrException ex)
        {
            why = ex.Message;
        }
        // `ls -1d` prints the paths that exist; the exit code only says some do not.
        var listing = await host.RunAsync(["ls", "-1d", "--", KubeadmPki, .. KubesprayMarkers], RemoteRunOptions.Root, ct).ConfigureAwait(false);
        var present = listing.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        if (KubesprayMarkers.FirstOrDefault(present.Contains) is { } marker)
            return new PkiFlavorChoice(PkiFlavor.Kubespray, $"discovery could not tell the flavor ({why}); taking the Kubespray set because {marker} exists");
        if (present.Contains(KubeadmPki))
            return new PkiFlavorChoice(PkiFlavor.Kubeadm, $"discovery could not tell the flavor ({why}); taking the kubeadm set because {KubeadmPki} exists");
        throw new DrException($"{host.Name}: no PKI to back up: neither {KubeadmPki} nor {string.Join(" nor ", KubesprayMarkers)} exists ({why})", FailureKind.Usage);
    }
}
