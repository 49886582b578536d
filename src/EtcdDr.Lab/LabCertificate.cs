using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EtcdDr.Lab;

/// <summary>Paths of a certificate and its private key as written to disk.</summary>
public sealed record LabCertificateFiles(string CertificateFile, string PrivateKeyFile);

/// <summary>
/// One issued certificate with its private key, kept as bytes and PEM text only: nothing to dispose,
/// and callers that need an <see cref="X509Certificate2"/> load a fresh one they own.
/// </summary>
public sealed class LabCertificate
{
    private readonly byte[] _certificateDer;
    private readonly byte[] _pkcs8PrivateKey;

    internal LabCertificate(X509Certificate2 certificate, AsymmetricAlgorithm privateKey, LabKeyAlgorithm keyAlgorithm)
    {
        _certificateDer = certificate.RawData;
        KeyAlgorithm = keyAlgorithm;
        Subject = certificate.Subject;
        NotBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero);
        NotAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        SerialNumber = certificate.SerialNumber;
        CertificatePem = certificate.ExportCertificatePem() + "\n";
        _pkcs8PrivateKey = privateKey.ExportPkcs8PrivateKey();
        PrivateKeyPem = privateKey.ExportPkcs8PrivateKeyPem() + "\n";
        LegacyPrivateKeyPem = privateKey switch
        {
            ECDsa ec => ec.ExportECPrivateKeyPem() + "\n",
            RSA rsa => rsa.ExportRSAPrivateKeyPem() + "\n",
            _ => throw new NotSupportedException($"Unsupported key type {privateKey.GetType().Name}."),
        };
    }

    public LabKeyAlgorithm KeyAlgorithm { get; }
    public string Subject { get; }
    public DateTimeOffset NotBefore { get; }
    public DateTimeOffset NotAfter { get; }

    /// <summary>Big-endian hex, as <see cref="X509Certificate2.SerialNumber"/> shows it.</summary>
    public string SerialNumber { get; }

    /// <summary>"-----BEGIN CERTIFICATE-----".</summary>
    public string CertificatePem { get; }

    /// <summary>PKCS#8: "-----BEGIN PRIVATE KEY-----".</summary>
    public string PrivateKeyPem { get; }

    /// <summary>"-----BEGIN EC PRIVATE KEY-----" or "-----BEGIN RSA PRIVATE KEY-----".</summary>
    public string LegacyPrivateKeyPem { get; }

    public byte[] GetCertificateDer() => (byte[])_certificateDer.Clone();

    public byte[] GetPkcs8PrivateKey() => (byte[])_pkcs8PrivateKey.Clone();

    public string GetPrivateKeyPem(PrivateKeyPemFormat format) =>
        format == PrivateKeyPemFormat.Pkcs8 ? PrivateKeyPem : LegacyPrivateKeyPem;

    /// <summary>The public certificate alone; the caller disposes it.</summary>
    public X509Certificate2 LoadCertificate() => X509CertificateLoader.LoadCertificate(_certificateDer);

    /// <summary>The certificate bound to its private key (for HttpClient client certs); the caller disposes it.</summary>
    public X509Certificate2 LoadWithPrivateKey() => X509Certificate2.CreateFromPem(CertificatePem, PrivateKeyPem);

    /// <summary>Writes the certificate (0644) and its key (0600); parent directories are created.</summary>
    public LabCertificateFiles WriteFiles(
        string certificateFile, string privateKeyFile, PrivateKeyPemFormat keyFormat = PrivateKeyPemFormat.Pkcs8)
    {
        PemFiles.WritePublic(certificateFile, CertificatePem);
        PemFiles.WriteSecret(privateKeyFile, GetPrivateKeyPem(keyFormat));
        return new LabCertificateFiles(certificateFile, privateKeyFile);
    }

    /// <summary>Writes "name.crt" and "name.key" into <paramref name="directory"/>, kubeadm style.</summary>
    public LabCertificateFiles WriteFilesInto(
        string directory, string name, PrivateKeyPemFormat keyFormat = PrivateKeyPemFormat.Pkcs8) =>
        WriteFiles(Path.Combine(directory, name + ".crt"), Path.Combine(directory, name + ".key"), keyFormat);
}
