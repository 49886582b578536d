using System.Net;
using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Lab;

namespace EtcdDr.IntegrationTests.Smoke;

/// <summary>A second opinion on the lab certificates from OpenSSL, independent of .NET and Go.</summary>
public sealed class LabCertificateSmokeTests
{
    [Theory]
    [InlineData(LabKeyAlgorithm.EcdsaP256)]
    [InlineData(LabKeyAlgorithm.Rsa2048)]
    public async Task OpenSsl_verifies_chain_and_purpose_of_each_certificate(LabKeyAlgorithm algorithm)
    {
        using var work = TempDirectory.Create();
        using var ca = LabCertificateAuthority.Create("smoke CA", algorithm);
        var caFile = ca.Certificate.WriteFilesInto(work.Path, "ca").CertificateFile;
        var server = ca.IssueServer("etcd-1", [IPAddress.Parse("127.9.9.1")], ["localhost"]).WriteFilesInto(work.Path, "server");
        var peer = ca.IssuePeer("etcd-1", [IPAddress.Parse("127.9.9.1")]).WriteFilesInto(work.Path, "peer");
        var client = ca.IssueClient("root").WriteFilesInto(work.Path, "client", PrivateKeyPemFormat.Legacy);

        await AssertVerifiesAsync(caFile, server.CertificateFile, "sslserver");
        await AssertVerifiesAsync(caFile, peer.CertificateFile, "sslserver");
        await AssertVerifiesAsync(caFile, peer.CertificateFile, "sslclient");
        await AssertVerifiesAsync(caFile, client.CertificateFile, "sslclient");

        var wrongPurpose = await OpenSslAsync("verify", "-CAfile", caFile, "-purpose", "sslserver", client.CertificateFile);
        Assert.NotEqual(0, wrongPurpose.ExitCode);

        var text = (await OpenSslAsync("x509", "-in", caFile, "-noout", "-text")).EnsureSuccess("openssl x509").Stdout;
        Assert.Contains("CA:TRUE", text, StringComparison.Ordinal);
        Assert.Contains("Certificate Sign", text, StringComparison.Ordinal);

        var serverText = (await OpenSslAsync("x509", "-in", server.CertificateFile, "-noout", "-text")).EnsureSuccess("openssl x509").Stdout;
        Assert.Contains("IP Address:127.9.9.1", serverText, StringComparison.Ordinal);
        Assert.Contains("DNS:localhost", serverText, StringComparison.Ordinal);
        Assert.Contains("X509v3 Authority Key Identifier", serverText, StringComparison.Ordinal);

        // Both key files parse and match their certificates' public keys.
        foreach (var pair in new[] { server, client })
        {
            var fromKey = (await OpenSslAsync("pkey", "-in", pair.PrivateKeyFile, "-pubout")).EnsureSuccess("openssl pkey").Stdout;
            var fromCert = (await OpenSslAsync("x509", "-in", pair.CertificateFile, "-noout", "-pubkey")).EnsureSuccess("openssl x509 -pubkey").Stdout;
            Assert.Equal(fromCert, fromKey);
        }
    }

    [Fact]
    public async Task OpenSsl_reports_an_expired_client_certificate_as_expired()
    {
        using var work = TempDirectory.Create();
        using var ca = LabCertificateAuthority.Create();
        var caFile = ca.Certificate.WriteFilesInto(work.Path, "ca").CertificateFile;
        var now = DateTimeOffset.UtcNow;
        var expired = ca.IssueClient("root", notBefore: now.AddDays(-3), notAfter: now.AddDays(-2)).WriteFilesInto(work.Path, "expired");

        var result = await OpenSslAsync("verify", "-CAfile", caFile, expired.CertificateFile);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("certificate has expired", result.Stdout + result.Stderr, StringComparison.Ordinal);
    }

    private static async Task AssertVerifiesAsync(string caFile, string certificateFile, string purpose)
    {
        var result = await OpenSslAsync("verify", "-CAfile", caFile, "-purpose", purpose, certificateFile);
        Assert.True(result.Succeeded, $"openssl verify -purpose {purpose} {Path.GetFileName(certificateFile)}: {result}");
    }

    private static Task<ProcessResult> OpenSslAsync(params string[] arguments) =>
        ProcessRunner.RunAsync(Prerequisites.OpenSsl, arguments, new ProcessRunOptions { Timeout = TimeSpan.FromSeconds(30) });
}
