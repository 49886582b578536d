using System.Net;
using System.Security.Cryptography;

namespace EtcdDr.Lab;

/// <summary>
/// The certificate authorities of one lab, shared by all masters as the installers do (kubeadm
/// copies its CAs to every control-plane node; Kubespray copies ca.pem/ca-key.pem to every etcd
/// node). kubeadm certificates are ECDSA P-256 (kubeadm's `encryptionAlgorithm: ECDSA-P256`, and
/// quick to make); Kubespray's make-ssl-etcd.sh makes RSA keys, so the Kubespray flavor does too.
/// </summary>
public sealed class LabPki : IDisposable
{
    private LabPki(LabFlavor flavor)
    {
        var algorithm = flavor == LabFlavor.Kubespray ? LabKeyAlgorithm.Rsa2048 : LabKeyAlgorithm.EcdsaP256;
        KeyAlgorithm = algorithm;
        Etcd = LabCertificateAuthority.Create("etcd-ca", algorithm);
        if (flavor == LabFlavor.Kubeadm)
        {
            Kubernetes = LabCertificateAuthority.Create("kubernetes", algorithm);
            FrontProxy = LabCertificateAuthority.Create("front-proxy-ca", algorithm);
            using var rsa = RSA.Create(2048);
            ServiceAccountKeyPem = rsa.ExportRSAPrivateKeyPem() + "\n";
            ServiceAccountPublicPem = rsa.ExportSubjectPublicKeyInfoPem() + "\n";
        }
    }

    public LabKeyAlgorithm KeyAlgorithm { get; }
    public LabCertificateAuthority Etcd { get; }
    public LabCertificateAuthority? Kubernetes { get; }
    public LabCertificateAuthority? FrontProxy { get; }
    public string? ServiceAccountKeyPem { get; }
    public string? ServiceAccountPublicPem { get; }

    public static LabPki Create(LabFlavor flavor) => new(flavor);

    /// <summary>
    /// An etcd serving/peer certificate for a master: every host number 1-9 of its net, loopback and
    /// its names. A lab simplification (docs/lab.md): a real member certificate names only its own
    /// address, but here `lab replace` moves a master to a new address of the net, and the restore
    /// lays the lost master's certificates down there from the PKI archive; they must still be valid.
    /// </summary>
    public LabCertificate IssueEtcdMember(LabMaster master, LabCertificatePurpose purpose) =>
        Etcd.Issue(new LabCertificateRequest(master.Name, purpose)
        {
            IpAddresses = [.. NetAddresses(master.Address), IPAddress.Loopback, IPAddress.IPv6Loopback],
            DnsNames = [master.Name, "localhost"],
        });

    /// <summary>NET.1 to NET.9 for the /24 of <paramref name="address"/>.</summary>
    public static IEnumerable<IPAddress> NetAddresses(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        return Enumerable.Range(1, LabSpec.MaxHostNumber).Select(i => new IPAddress([bytes[0], bytes[1], bytes[2], (byte)i]));
    }

    public void Dispose()
    {
        Etcd.Dispose();
        Kubernetes?.Dispose();
        FrontProxy?.Dispose();
    }
}
