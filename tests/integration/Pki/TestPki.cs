using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EtcdDr.IntegrationTests.Pki;

/// <summary>A certificate with its private key, plus PEM renderings as installers write them.</summary>
public sealed record IssuedCert(X509Certificate2 Certificate, AsymmetricAlgorithm Key)
{
    public string CertPem => Certificate.ExportCertificatePem() + "\n";

    /// <summary>kubeadm writes PKCS#1 "RSA PRIVATE KEY" and SEC1 "EC PRIVATE KEY".</summary>
    public string KeyPem => Key switch
    {
        RSA rsa => rsa.ExportRSAPrivateKeyPem() + "\n",
        ECDsa ec => ec.ExportECPrivateKeyPem() + "\n",
        _ => throw new NotSupportedException(),
    };
}

/// <summary>Issues test certificates with .NET's CertificateRequest, shaped like kubeadm's.</summary>
public static class TestPki
{
    /// <summary>Writes a fresh age identity file at <paramref name="path"/>; returns its recipient.</summary>
    public static string WriteAgeIdentity(string path)
    {
        var key = PkiVault.Age.X25519Identity.Generate();
        File.WriteAllText(path, PkiVault.Age.IdentityFile.Format(key, DateTimeOffset.UtcNow));
        return key.Recipient.ToString();
    }

    public static IssuedCert Ca(string commonName, bool ecdsa = false, DateTimeOffset? notAfter = null)
    {
        var key = NewKey(ecdsa);
        var request = Request($"CN={commonName}", key);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), notAfter ?? DateTimeOffset.UtcNow.AddYears(10));
        return new IssuedCert(cert, key);
    }

    public static IssuedCert Leaf(IssuedCert issuer, string subject, bool server, bool client, string[]? dns = null, string[]? ips = null,
        bool ecdsa = false, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        var key = NewKey(ecdsa);
        var request = Request(subject, key);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        var usages = new OidCollection();
        if (server)
            usages.Add(new Oid("1.3.6.1.5.5.7.3.1"));
        if (client)
            usages.Add(new Oid("1.3.6.1.5.5.7.3.2"));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
        if (dns is not null || ips is not null)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var d in dns ?? [])
                san.AddDnsName(d);
            foreach (var ip in ips ?? [])
                san.AddIpAddress(IPAddress.Parse(ip));
            request.CertificateExtensions.Add(san.Build());
        }
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer.Certificate, true, false));
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        var start = notBefore ?? DateTimeOffset.UtcNow.AddDays(-1);
        var end = notAfter ?? DateTimeOffset.UtcNow.AddYears(1);
        var generator = issuer.Key switch
        {
            RSA rsa => X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1),
            ECDsa ec => X509SignatureGenerator.CreateForECDsa(ec),
            _ => throw new NotSupportedException(),
        };
        var cert = request.Create(issuer.Certificate.SubjectName, generator, start, end, serial);
        return new IssuedCert(cert, key);
    }

    private static AsymmetricAlgorithm NewKey(bool ecdsa) => ecdsa ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : RSA.Create(2048);

    private static CertificateRequest Request(string subject, AsymmetricAlgorithm key) => key switch
    {
        RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        ECDsa ec => new CertificateRequest(subject, ec, HashAlgorithmName.SHA256),
        _ => throw new NotSupportedException(),
    };

    /// <summary>A kubeconfig with the CA and a client certificate and key embedded, as kubeadm writes them.</summary>
    public static string Kubeconfig(IssuedCert ca, IssuedCert client, string user) =>
        $"""
        apiVersion: v1
        clusters:
        - cluster:
            certificate-authority-data: {B64(ca.CertPem)}
            server: https://10.0.0.10:6443
          name: kubernetes
        contexts:
        - context:
            cluster: kubernetes
            user: {user}
          name: {user}@kubernetes
        current-context: {user}@kubernetes
        kind: Config
        preferences: {"{}"}
        users:
        - name: {user}
          user:
            client-certificate-data: {B64(client.CertPem)}
            client-key-data: {B64(client.KeyPem)}

        """;

    /// <summary>kubelet.conf after TLS bootstrap: certificates referenced by path, not embedded.</summary>
    public static string KubeletKubeconfig(IssuedCert ca) =>
        $"""
        apiVersion: v1
        clusters:
        - cluster:
            certificate-authority-data: {B64(ca.CertPem)}
            server: https://10.0.0.10:6443
          name: kubernetes
        kind: Config
        users:
        - name: system:node:master1
          user:
            client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem
            client-key: /var/lib/kubelet/pki/kubelet-client-current.pem

        """;

    private static string B64(string text) => Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(text));
}
