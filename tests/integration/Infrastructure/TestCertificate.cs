using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EtcdDr.IntegrationTests.Infrastructure;

/// <summary>
/// A self-signed certificate for 127.0.0.1, as PEM files (for Azurite) and as an X509Certificate2
/// (for our own TLS fakes), and a handler that trusts exactly this certificate and nothing else.
/// </summary>
public sealed class TestCertificate : IDisposable
{
    private readonly TempDirectory _directory;

    private TestCertificate(TempDirectory directory, X509Certificate2 certificate)
    {
        _directory = directory;
        Certificate = certificate;
        CertificatePemPath = Path.Combine(directory.Path, "cert.pem");
        KeyPemPath = Path.Combine(directory.Path, "key.pem");
        File.WriteAllText(CertificatePemPath, certificate.ExportCertificatePem());
        File.WriteAllText(KeyPemPath, certificate.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
    }

    public X509Certificate2 Certificate { get; }

    public string CertificatePemPath { get; }

    public string KeyPemPath { get; }

    public static TestCertificate Create()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        // A PFX round trip gives a certificate whose key SslStream can use on Linux.
        var certificate = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);
        return new TestCertificate(TempDirectory.Create("tls"), certificate);
    }

    /// <summary>An HTTP handler that accepts this certificate only (the system trust store is not consulted).</summary>
    public SocketsHttpHandler TrustingHandler() => new()
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, presented, _, _) =>
                presented is not null && presented.GetCertHashString() == Certificate.GetCertHashString(),
        },
    };

    public void Dispose()
    {
        Certificate.Dispose();
        _directory.Dispose();
    }
}
