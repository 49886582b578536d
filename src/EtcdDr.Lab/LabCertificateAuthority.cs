using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EtcdDr.Lab;

/// <summary>
/// A throw-away certificate authority for the local lab and the tests: a self-signed CA and leaf
/// certificates that Go's crypto/x509 (etcd, etcdctl, kube-apiserver) accepts. Go is stricter than
/// .NET or OpenSSL in a few places, so every certificate gets: a positive, minimally encoded random
/// serial; an explicit critical KeyUsage (DigitalSignature, plus KeyEncipherment for RSA leaves, plus
/// KeyCertSign for the CA); BasicConstraints; a SubjectKeyIdentifier, and on leaves an
/// AuthorityKeyIdentifier equal to the CA's SubjectKeyIdentifier so chains build by key id.
/// </summary>
public sealed class LabCertificateAuthority : IDisposable
{
    private static readonly TimeSpan DefaultLeafLifetime = TimeSpan.FromDays(365);
    private static readonly TimeSpan DefaultCaLifetime = TimeSpan.FromDays(3650);

    // Leaves start an hour back (and the CA a day back) so a little clock skew between the
    // machine that issues and the one that verifies never makes a fresh certificate "not yet valid".
    private static readonly TimeSpan LeafBackdate = TimeSpan.FromHours(1);
    private static readonly TimeSpan CaBackdate = TimeSpan.FromDays(1);

    private readonly AsymmetricAlgorithm _signingKey;
    private readonly X500DistinguishedName _subject;
    private readonly byte[] _subjectKeyIdentifier;

    private LabCertificateAuthority(
        AsymmetricAlgorithm signingKey, LabKeyAlgorithm keyAlgorithm, X509Certificate2 certificate)
    {
        _signingKey = signingKey;
        _subject = certificate.SubjectName;
        KeyAlgorithm = keyAlgorithm;
        Certificate = new LabCertificate(certificate, signingKey, keyAlgorithm);
        var ski = certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault()
            ?? throw new ArgumentException("The CA certificate has no SubjectKeyIdentifier extension.");
        _subjectKeyIdentifier = ski.SubjectKeyIdentifierBytes.ToArray();
    }

    public LabKeyAlgorithm KeyAlgorithm { get; }

    /// <summary>The CA certificate and its key (write it with <see cref="LabCertificate.WriteFiles(string, string, PrivateKeyPemFormat)"/>).</summary>
    public LabCertificate Certificate { get; }

    /// <summary>"-----BEGIN CERTIFICATE-----" of the CA: the trusted-ca-file / --cacert content.</summary>
    public string CertificatePem => Certificate.CertificatePem;

    public static LabCertificateAuthority Create(
        string commonName = "etcd-dr lab CA",
        LabKeyAlgorithm keyAlgorithm = LabKeyAlgorithm.EcdsaP256,
        DateTimeOffset? notBefore = null,
        DateTimeOffset? notAfter = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(commonName);
        var now = DateTimeOffset.UtcNow;
        var validFrom = notBefore ?? now - CaBackdate;
        var validTo = notAfter ?? now + DefaultCaLifetime;
        EnsureOrdered(validFrom, validTo);

        var key = CreateKey(keyAlgorithm);
        try
        {
            var subject = BuildName(commonName, "etcd-dr lab");
            var request = CreateRequest(subject, key);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(
                certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(
                X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature,
                critical: true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));

            using var certificate = request.Create(subject, SignatureGeneratorFor(key), validFrom, validTo, NewSerialNumber());
            return new LabCertificateAuthority(key, keyAlgorithm, certificate);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>Reopens a CA written earlier (the lab keeps its CA between "lab up" runs).</summary>
    public static LabCertificateAuthority FromPem(string certificatePem, string privateKeyPem)
    {
        using var certificate = X509Certificate2.CreateFromPem(certificatePem);
        var keyAlgorithm = certificate.GetKeyAlgorithm() switch
        {
            "1.2.840.10045.2.1" => LabKeyAlgorithm.EcdsaP256,
            "1.2.840.113549.1.1.1" => LabKeyAlgorithm.Rsa2048,
            var other => throw new ArgumentException($"Unsupported CA key algorithm {other}."),
        };
        AsymmetricAlgorithm key = keyAlgorithm == LabKeyAlgorithm.EcdsaP256 ? ECDsa.Create() : RSA.Create();
        try
        {
            key.ImportFromPem(privateKeyPem);
            return new LabCertificateAuthority(key, keyAlgorithm, certificate);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>An etcd serving certificate for the given addresses and host names.</summary>
    public LabCertificate IssueServer(string commonName, IEnumerable<IPAddress> ipAddresses, IEnumerable<string>? dnsNames = null) =>
        Issue(new LabCertificateRequest(commonName, LabCertificatePurpose.Server)
        {
            IpAddresses = [.. ipAddresses],
            DnsNames = [.. dnsNames ?? []],
        });

    /// <summary>An etcd peer certificate; its SANs must cover the member's peer URL host.</summary>
    public LabCertificate IssuePeer(string commonName, IEnumerable<IPAddress> ipAddresses, IEnumerable<string>? dnsNames = null) =>
        Issue(new LabCertificateRequest(commonName, LabCertificatePurpose.Peer)
        {
            IpAddresses = [.. ipAddresses],
            DnsNames = [.. dnsNames ?? []],
        });

    /// <summary>A client certificate, e.g. CN "root" or "kube-apiserver-etcd-client".</summary>
    public LabCertificate IssueClient(
        string commonName, string? organization = null, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null) =>
        Issue(new LabCertificateRequest(commonName, LabCertificatePurpose.Client)
        {
            Organization = organization,
            NotBefore = notBefore,
            NotAfter = notAfter,
        });

    public LabCertificate Issue(LabCertificateRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.CommonName);
        var hasNames = request.IpAddresses.Count > 0 || request.DnsNames.Count > 0;
        // Go ignores the CN when matching host names (since 1.15): a serving certificate without SANs
        // would be refused by every client, so refuse to make one.
        if (request.Purpose != LabCertificatePurpose.Client && !hasNames)
            throw new ArgumentException($"A {request.Purpose} certificate needs at least one IP address or DNS name.", nameof(request));

        var now = DateTimeOffset.UtcNow;
        var validFrom = request.NotBefore ?? now - LeafBackdate;
        var validTo = request.NotAfter ?? validFrom + DefaultLeafLifetime;
        EnsureOrdered(validFrom, validTo);

        var leafAlgorithm = request.KeyAlgorithm ?? KeyAlgorithm;
        using var key = CreateKey(leafAlgorithm);
        var certificateRequest = CreateRequest(BuildName(request.CommonName, request.Organization), key);
        var extensions = certificateRequest.CertificateExtensions;
        extensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        // RSA key exchange (TLS 1.2 RSA suites) needs KeyEncipherment; Go checks it for RSA leaves.
        var keyUsage = leafAlgorithm == LabKeyAlgorithm.Rsa2048
            ? X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment
            : X509KeyUsageFlags.DigitalSignature;
        extensions.Add(new X509KeyUsageExtension(keyUsage, critical: true));
        extensions.Add(new X509EnhancedKeyUsageExtension(ExtendedKeyUsagesFor(request.Purpose), critical: false));
        if (hasNames)
            extensions.Add(BuildSubjectAlternativeNames(request));
        extensions.Add(new X509SubjectKeyIdentifierExtension(certificateRequest.PublicKey, critical: false));
        extensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(_subjectKeyIdentifier));

        using var certificate = certificateRequest.Create(
            _subject, SignatureGeneratorFor(_signingKey), validFrom, validTo, NewSerialNumber());
        return new LabCertificate(certificate, key, leafAlgorithm);
    }

    public void Dispose() => _signingKey.Dispose();

    private static OidCollection ExtendedKeyUsagesFor(LabCertificatePurpose purpose)
    {
        var serverAuth = new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication");
        var clientAuth = new Oid("1.3.6.1.5.5.7.3.2", "Client Authentication");
        return purpose switch
        {
            LabCertificatePurpose.Client => [clientAuth],
            // Server too (see LabCertificatePurpose.Server): the grpc-gateway dials back as a client.
            LabCertificatePurpose.Server or LabCertificatePurpose.Peer => [serverAuth, clientAuth],
            _ => throw new ArgumentOutOfRangeException(nameof(purpose), purpose, null),
        };
    }

    private static X509Extension BuildSubjectAlternativeNames(LabCertificateRequest request)
    {
        var builder = new SubjectAlternativeNameBuilder();
        foreach (var address in request.IpAddresses)
            builder.AddIpAddress(address);
        foreach (var name in request.DnsNames)
            builder.AddDnsName(name);
        return builder.Build(critical: false);
    }

    private static X500DistinguishedName BuildName(string commonName, string? organization)
    {
        var builder = new X500DistinguishedNameBuilder();
        if (!string.IsNullOrEmpty(organization))
            builder.AddOrganizationName(organization);
        builder.AddCommonName(commonName);
        return builder.Build();
    }

    private static AsymmetricAlgorithm CreateKey(LabKeyAlgorithm algorithm) => algorithm switch
    {
        LabKeyAlgorithm.EcdsaP256 => ECDsa.Create(ECCurve.NamedCurves.nistP256),
        LabKeyAlgorithm.Rsa2048 => RSA.Create(2048),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, null),
    };

    private static CertificateRequest CreateRequest(X500DistinguishedName subject, AsymmetricAlgorithm key) => key switch
    {
        ECDsa ec => new CertificateRequest(subject, ec, HashAlgorithmName.SHA256),
        RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        _ => throw new NotSupportedException(key.GetType().Name),
    };

    // The issuer's key decides the signature algorithm, whatever the leaf's own key is.
    private static X509SignatureGenerator SignatureGeneratorFor(AsymmetricAlgorithm issuerKey) => issuerKey switch
    {
        ECDsa ec => X509SignatureGenerator.CreateForECDsa(ec),
        RSA rsa => X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1),
        _ => throw new NotSupportedException(issuerKey.GetType().Name),
    };

    /// <summary>
    /// 128 random bits as a positive DER INTEGER: the top bit clear (else it reads as negative, which
    /// Go rejects) and the first byte non-zero (else the encoding is not minimal, which Go also rejects).
    /// </summary>
    private static byte[] NewSerialNumber()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        if (serial[0] == 0)
            serial[0] = 0x01;
        return serial;
    }

    private static void EnsureOrdered(DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        if (notAfter <= notBefore)
            throw new ArgumentException($"notAfter ({notAfter:O}) must be later than notBefore ({notBefore:O}).");
    }
}
