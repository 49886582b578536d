using System.Net;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EtcdDr.Lab;

namespace EtcdDr.Tests.Lab;

public sealed class LabCertificateAuthorityTests : IDisposable
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    private readonly LabCertificateAuthority _ca = LabCertificateAuthority.Create("unit CA");

    public void Dispose() => _ca.Dispose();

    [Fact]
    public void Ca_is_a_critical_ca_with_key_cert_sign_and_a_key_id()
    {
        using var ca = _ca.Certificate.LoadCertificate();

        var constraints = Extension<X509BasicConstraintsExtension>(ca);
        Assert.True(constraints.CertificateAuthority);
        Assert.True(constraints.Critical);
        var usage = Extension<X509KeyUsageExtension>(ca);
        Assert.True(usage.Critical);
        Assert.True(usage.KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign));
        Assert.False(Extension<X509SubjectKeyIdentifierExtension>(ca).SubjectKeyIdentifierBytes.IsEmpty);
        Assert.Equal(ca.Subject, ca.Issuer);
        Assert.Contains("CN=unit CA", ca.Subject, StringComparison.Ordinal);
    }

    [Fact]
    public void Server_certificate_has_its_sans_both_ekus_and_a_sane_key_usage()
    {
        var issued = _ca.IssueServer("etcd-1", [IPAddress.Parse("127.0.1.1"), IPAddress.Parse("127.0.1.2")], ["localhost", "master-1"]);
        using var server = issued.LoadCertificate();

        var san = Extension<X509SubjectAlternativeNameExtension>(server);
        Assert.Equal(["127.0.1.1", "127.0.1.2"], san.EnumerateIPAddresses().Select(a => a.ToString()));
        Assert.Equal(["localhost", "master-1"], san.EnumerateDnsNames());
        Assert.Equal([ServerAuth, ClientAuth], Ekus(server));
        var usage = Extension<X509KeyUsageExtension>(server);
        Assert.True(usage.Critical);
        Assert.Equal(X509KeyUsageFlags.DigitalSignature, usage.KeyUsages);
        Assert.False(Extension<X509BasicConstraintsExtension>(server).CertificateAuthority);
    }

    [Fact]
    public void Peer_certificate_serves_and_dials()
    {
        using var peer = _ca.IssuePeer("etcd-2", [IPAddress.Parse("127.0.1.2")]).LoadCertificate();

        Assert.Equal([ServerAuth, ClientAuth], Ekus(peer));
    }

    [Fact]
    public void Client_certificate_is_client_auth_only_with_cn_and_organization()
    {
        using var client = _ca.IssueClient("kube-apiserver-etcd-client", organization: "system:masters").LoadCertificate();

        Assert.Equal([ClientAuth], Ekus(client));
        Assert.Equal("kube-apiserver-etcd-client", client.GetNameInfo(X509NameType.SimpleName, forIssuer: false));
        Assert.Contains("O=system:masters", client.Subject, StringComparison.Ordinal);
        Assert.Empty(client.Extensions.OfType<X509SubjectAlternativeNameExtension>());
    }

    [Fact]
    public void Leaf_authority_key_id_is_the_ca_subject_key_id_and_serials_are_positive_and_random()
    {
        using var ca = _ca.Certificate.LoadCertificate();
        using var first = _ca.IssueClient("a").LoadCertificate();
        using var second = _ca.IssueClient("b").LoadCertificate();

        var caKeyId = Extension<X509SubjectKeyIdentifierExtension>(ca).SubjectKeyIdentifierBytes.ToArray();
        var aki = Extension<X509AuthorityKeyIdentifierExtension>(first);
        Assert.Equal(caKeyId, aki.KeyIdentifier?.ToArray());
        Assert.False(Extension<X509SubjectKeyIdentifierExtension>(first).SubjectKeyIdentifierBytes.IsEmpty);

        foreach (var certificate in new[] { ca, first, second })
        {
            var serial = certificate.SerialNumberBytes.Span; // big-endian
            Assert.Equal(16, serial.Length);
            Assert.InRange(serial[0], 0x01, 0x7F);
        }
        Assert.NotEqual(first.SerialNumber, second.SerialNumber);
    }

    [Theory]
    [InlineData(LabKeyAlgorithm.EcdsaP256, LabKeyAlgorithm.EcdsaP256)]
    [InlineData(LabKeyAlgorithm.Rsa2048, LabKeyAlgorithm.Rsa2048)]
    [InlineData(LabKeyAlgorithm.Rsa2048, LabKeyAlgorithm.EcdsaP256)]
    [InlineData(LabKeyAlgorithm.EcdsaP256, LabKeyAlgorithm.Rsa2048)]
    public void Every_leaf_chains_to_its_ca_with_a_custom_trust_store(LabKeyAlgorithm caAlgorithm, LabKeyAlgorithm leafAlgorithm)
    {
        using var ca = LabCertificateAuthority.Create("chain CA", caAlgorithm);
        var leaves = new[]
        {
            ca.Issue(new LabCertificateRequest("s", LabCertificatePurpose.Server) { IpAddresses = [IPAddress.Loopback], KeyAlgorithm = leafAlgorithm }),
            ca.Issue(new LabCertificateRequest("p", LabCertificatePurpose.Peer) { DnsNames = ["etcd-1"], KeyAlgorithm = leafAlgorithm }),
            ca.Issue(new LabCertificateRequest("c", LabCertificatePurpose.Client) { KeyAlgorithm = leafAlgorithm }),
        };

        foreach (var leaf in leaves)
        {
            Assert.Equal(leafAlgorithm, leaf.KeyAlgorithm);
            var status = BuildChain(ca, leaf);
            Assert.True(status.Length == 0, string.Join("; ", status.Select(s => $"{s.Status}: {s.StatusInformation}")));
        }
    }

    [Fact]
    public void Rsa_leaves_also_allow_key_encipherment()
    {
        using var rsaCa = LabCertificateAuthority.Create("rsa CA", LabKeyAlgorithm.Rsa2048);
        using var server = rsaCa.IssueServer("s", [IPAddress.Loopback]).LoadCertificate();

        Assert.Equal(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, Extension<X509KeyUsageExtension>(server).KeyUsages);
        Assert.NotNull(server.GetRSAPublicKey());
    }

    [Fact]
    public void Certificate_from_another_ca_does_not_chain()
    {
        using var other = LabCertificateAuthority.Create("other CA");
        var stranger = other.IssueClient("root");

        var status = BuildChain(_ca, stranger);

        Assert.NotEmpty(status);
    }

    [Fact]
    public void Expired_certificate_has_the_requested_dates_and_fails_chain_validation_as_not_time_valid()
    {
        var now = DateTimeOffset.UtcNow;
        var notBefore = now.AddDays(-10);
        var notAfter = now.AddDays(-1);
        var expired = _ca.IssueClient("root", notBefore: notBefore, notAfter: notAfter);

        Assert.Equal(notBefore.ToUnixTimeSeconds(), expired.NotBefore.ToUnixTimeSeconds());
        Assert.Equal(notAfter.ToUnixTimeSeconds(), expired.NotAfter.ToUnixTimeSeconds());
        Assert.Contains(BuildChain(_ca, expired), s => s.Status == X509ChainStatusFlags.NotTimeValid);
    }

    [Fact]
    public void Pem_forms_carry_the_expected_headers_and_load_with_their_key()
    {
        var ec = _ca.IssueClient("root");
        using var rsaCa = LabCertificateAuthority.Create("rsa", LabKeyAlgorithm.Rsa2048);
        var rsa = rsaCa.IssueClient("root");

        Assert.StartsWith("-----BEGIN CERTIFICATE-----", ec.CertificatePem, StringComparison.Ordinal);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", ec.PrivateKeyPem, StringComparison.Ordinal);
        Assert.StartsWith("-----BEGIN EC PRIVATE KEY-----", ec.LegacyPrivateKeyPem, StringComparison.Ordinal);
        Assert.StartsWith("-----BEGIN RSA PRIVATE KEY-----", rsa.GetPrivateKeyPem(PrivateKeyPemFormat.Legacy), StringComparison.Ordinal);

        using var withKey = ec.LoadWithPrivateKey();
        Assert.True(withKey.HasPrivateKey);
        using var signer = withKey.GetECDsaPrivateKey()!;
        using var verifier = withKey.GetECDsaPublicKey()!;
        var signature = signer.SignData("probe"u8, HashAlgorithmName.SHA256);
        Assert.True(verifier.VerifyData("probe"u8, signature, HashAlgorithmName.SHA256));
        Assert.Equal(ec.GetCertificateDer(), withKey.RawData);

        using var fromLegacy = X509Certificate2.CreateFromPem(rsa.CertificatePem, rsa.LegacyPrivateKeyPem);
        Assert.True(fromLegacy.HasPrivateKey);
    }

    [Fact]
    [SupportedOSPlatform("linux")]
    public void Written_key_files_are_0600_and_certificates_0644()
    {
        var directory = Path.Combine(Path.GetTempPath(), "etcd-dr-unit-" + Guid.NewGuid().ToString("N"));
        try
        {
            var files = _ca.IssueClient("root").WriteFilesInto(Path.Combine(directory, "pki"), "client", PrivateKeyPemFormat.Legacy);

            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(files.PrivateKeyFile));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                File.GetUnixFileMode(files.CertificateFile));
            Assert.StartsWith("-----BEGIN EC PRIVATE KEY-----", File.ReadAllText(files.PrivateKeyFile), StringComparison.Ordinal);
            Assert.Equal(Path.Combine(directory, "pki", "client.crt"), files.CertificateFile);
            Assert.Equal(2, Directory.GetFiles(Path.Combine(directory, "pki")).Length); // no temporary files left
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Ca_reopened_from_pem_issues_certificates_that_chain_to_the_original()
    {
        using var reopened = LabCertificateAuthority.FromPem(_ca.CertificatePem, _ca.Certificate.LegacyPrivateKeyPem);
        var leaf = reopened.IssueServer("s", [IPAddress.Loopback]);

        Assert.Empty(BuildChain(_ca, leaf));
    }

    [Fact]
    public void Requests_that_could_never_work_are_refused()
    {
        Assert.Throws<ArgumentException>(() => _ca.IssueServer("no-names", []));
        var now = DateTimeOffset.UtcNow;
        Assert.Throws<ArgumentException>(() => _ca.IssueClient("backwards", notBefore: now, notAfter: now.AddDays(-1)));
    }

    private static X509ChainStatus[] BuildChain(LabCertificateAuthority trusted, LabCertificate leaf)
    {
        using var root = trusted.Certificate.LoadCertificate();
        using var certificate = leaf.LoadCertificate();
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = DateTime.Now;
        chain.Build(certificate);
        return chain.ChainStatus;
    }

    private static T Extension<T>(X509Certificate2 certificate) where T : X509Extension =>
        certificate.Extensions.OfType<T>().Single();

    private static string[] Ekus(X509Certificate2 certificate) =>
        [.. Extension<X509EnhancedKeyUsageExtension>(certificate).EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value!)];
}
