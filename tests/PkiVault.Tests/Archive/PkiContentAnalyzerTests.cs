using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;
using PkiVault.Archive;

namespace PkiVault.Tests.Archive;

public class PkiContentAnalyzerTests
{
    private static string SelfSignedPem(AsymmetricAlgorithm key, string cn)
    {
        var request = key switch
        {
            RSA rsa => new CertificateRequest($"CN={cn}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            ECDsa ec => new CertificateRequest($"CN={cn}", ec, HashAlgorithmName.SHA256),
            _ => throw new NotSupportedException(),
        };
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(100));
        return cert.ExportCertificatePem();
    }

    [Theory]
    [InlineData("rsa-pkcs1")]
    [InlineData("rsa-pkcs8")]
    [InlineData("ec-sec1")]
    [InlineData("ec-pkcs8")]
    public void Rsa_and_ecdsa_keys_pair_with_their_certificates(string format)
    {
        using AsymmetricAlgorithm key = format.StartsWith("rsa", StringComparison.Ordinal) ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var keyPem = (key, format) switch
        {
            (RSA r, "rsa-pkcs1") => r.ExportRSAPrivateKeyPem(),
            (ECDsa e, "ec-sec1") => e.ExportECPrivateKeyPem(),
            _ => key.ExportPkcs8PrivateKeyPem(),
        };
        var files = new[]
        {
            PkiContentAnalyzer.Analyze("x.crt", Encoding.ASCII.GetBytes(SelfSignedPem(key, "x"))),
            PkiContentAnalyzer.Analyze("x.key", Encoding.ASCII.GetBytes(keyPem)),
        };
        Assert.Equal("private-key", files[1].Kind);
        Assert.True(files[1].ContainsSecret);
        var pairing = Assert.Single(PkiKeyPairing.Pair(files));
        Assert.True(pairing.Matches);
    }

    [Fact]
    public void A_key_of_another_certificate_does_not_match()
    {
        using var a = RSA.Create(2048);
        using var b = RSA.Create(2048);
        var files = new[]
        {
            PkiContentAnalyzer.Analyze("x.pem", Encoding.ASCII.GetBytes(SelfSignedPem(a, "x"))),
            PkiContentAnalyzer.Analyze("x-key.pem", Encoding.ASCII.GetBytes(b.ExportRSAPrivateKeyPem())),
        };
        Assert.False(Assert.Single(PkiKeyPairing.Pair(files)).Matches);
    }

    [Fact]
    public void Ed25519_keys_are_checked_through_bouncycastle()
    {
        var generator = new Ed25519KeyPairGenerator();
        generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
        var pair = generator.GenerateKeyPair();
        var certGenerator = new X509V3CertificateGenerator();
        certGenerator.SetSerialNumber(BigInteger.One);
        certGenerator.SetIssuerDN(new X509Name("CN=ed"));
        certGenerator.SetSubjectDN(new X509Name("CN=ed"));
        certGenerator.SetNotBefore(DateTime.UtcNow.AddDays(-1));
        certGenerator.SetNotAfter(DateTime.UtcNow.AddDays(10));
        certGenerator.SetPublicKey(pair.Public);
        var cert = certGenerator.Generate(new Asn1SignatureFactory("1.3.101.112", pair.Private));
        var certPem = PemEncoding.WriteString("CERTIFICATE", cert.GetEncoded());
        var pkcs8 = PrivateKeyInfoFactory.CreatePrivateKeyInfo(pair.Private).GetDerEncoded();
        var keyPem = PemEncoding.WriteString("PRIVATE KEY", pkcs8);

        var other = new Ed25519PrivateKeyParameters(new SecureRandom());
        var otherPem = PemEncoding.WriteString("PRIVATE KEY", PrivateKeyInfoFactory.CreatePrivateKeyInfo(other).GetDerEncoded());

        var good = PkiKeyPairing.Pair([PkiContentAnalyzer.Analyze("e.crt", Encoding.ASCII.GetBytes(certPem)), PkiContentAnalyzer.Analyze("e.key", Encoding.ASCII.GetBytes(keyPem))]);
        Assert.Equal("Ed25519", good[0].Key!.Algorithm);
        Assert.True(good[0].Matches);
        var bad = PkiKeyPairing.Pair([PkiContentAnalyzer.Analyze("e.crt", Encoding.ASCII.GetBytes(certPem)), PkiContentAnalyzer.Analyze("e.key", Encoding.ASCII.GetBytes(otherPem))]);
        Assert.False(bad[0].Matches);
    }

    [Fact]
    public void Kubeconfig_embedded_client_certificate_and_key_are_found_and_paired()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var cert = SelfSignedPem(key, "admin");
        var b64 = (string s) => Convert.ToBase64String(Encoding.ASCII.GetBytes(s));
        var kubeconfig = $"apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: {b64(cert)}\n  name: k\nusers:\n- name: admin\n  user:\n    client-certificate-data: {b64(cert)}\n    client-key-data: {b64(key.ExportECPrivateKeyPem())}\n";
        var analysis = PkiContentAnalyzer.Analyze("etc/kubernetes/admin.conf", Encoding.ASCII.GetBytes(kubeconfig));
        Assert.Equal("kubeconfig", analysis.Kind);
        Assert.True(analysis.ContainsSecret);
        Assert.Equal(2, analysis.Certificates.Count);
        var pairing = Assert.Single(PkiKeyPairing.Pair([analysis]));
        Assert.Equal("kubeconfig:client-certificate-data", pairing.Certificate.Source);
        Assert.True(pairing.Matches);
    }

    [Fact]
    public void Plain_files_are_other_and_not_secret()
    {
        var analysis = PkiContentAnalyzer.Analyze("etc/etcd.env", "ETCD_NAME=x\n"u8.ToArray());
        Assert.Equal("other", analysis.Kind);
        Assert.False(analysis.ContainsSecret);
    }
}
