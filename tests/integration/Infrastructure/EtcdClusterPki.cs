using System.Net;
using EtcdDr.Lab;

namespace EtcdDr.IntegrationTests.Infrastructure;

/// <summary>
/// The certificates of one TLS test cluster, laid out like kubeadm's pki/etcd folder: one CA, a server
/// and a peer certificate per member (SANs: its own loopback address and "localhost"), and a "root"
/// client certificate. The CA stays open so tests can issue more (expired, other CN, ...).
/// </summary>
public sealed class EtcdClusterPki : IDisposable
{
    private EtcdClusterPki(LabCertificateAuthority authority, string directory, EtcdClientCertificatePaths client)
    {
        Authority = authority;
        Directory = directory;
        ClientCertificate = client;
    }

    public LabCertificateAuthority Authority { get; }
    public string Directory { get; }
    public string CaFile => ClientCertificate.CaFile;
    public EtcdClientCertificatePaths ClientCertificate { get; }

    public static EtcdClusterPki Create(string directory, LabKeyAlgorithm keyAlgorithm)
    {
        var authority = LabCertificateAuthority.Create("etcd-dr test etcd CA", keyAlgorithm);
        try
        {
            var ca = authority.Certificate.WriteFilesInto(directory, "ca");
            var root = authority.IssueClient("root").WriteFilesInto(directory, "client-root");
            return new EtcdClusterPki(authority, directory, new EtcdClientCertificatePaths(ca.CertificateFile, root.CertificateFile, root.PrivateKeyFile));
        }
        catch
        {
            authority.Dispose();
            throw;
        }
    }

    /// <summary>Writes server.crt/key and peer.crt/key for one member into its own subfolder.</summary>
    public EtcdMemberTlsFiles IssueMember(string memberName, IPAddress address)
    {
        var folder = Path.Combine(Directory, memberName);
        string[] dnsNames = ["localhost", memberName];
        var server = Authority.IssueServer(memberName, [address], dnsNames).WriteFilesInto(folder, "server");
        var peer = Authority.IssuePeer(memberName, [address], dnsNames).WriteFilesInto(folder, "peer");
        return new EtcdMemberTlsFiles(CaFile, server.CertificateFile, server.PrivateKeyFile, peer.CertificateFile, peer.PrivateKeyFile);
    }

    /// <summary>Another client certificate from this cluster's CA, written next to the others.</summary>
    public EtcdClientCertificatePaths IssueClient(
        string fileName, string commonName, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        var files = Authority.IssueClient(commonName, notBefore: notBefore, notAfter: notAfter).WriteFilesInto(Directory, fileName);
        return new EtcdClientCertificatePaths(CaFile, files.CertificateFile, files.PrivateKeyFile);
    }

    public void Dispose() => Authority.Dispose();
}
