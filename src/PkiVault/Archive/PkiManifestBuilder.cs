using System.Globalization;
using System.Security.Cryptography.X509Certificates;

namespace PkiVault.Archive;

/// <summary>Turns file analyses into manifest records: the certificate facts and key pairings.</summary>
public static class PkiManifestBuilder
{
    public static PkiManifestFile File(PkiSourceFile file, long size, string sha256, PkiFileAnalysis analysis, IReadOnlyList<KeyPairing> pairings)
    {
        var certificates = analysis.Certificates.Select(c => Summarize(c, pairings.FirstOrDefault(p => ReferenceEquals(p.Certificate, c)))).ToList();
        return new PkiManifestFile(file.Path, FormatMode(file.Metadata.Mode), file.Metadata.Uid, file.Metadata.Gid, size,
            file.Metadata.ModifiedUtc, sha256, analysis.Kind, analysis.ContainsSecret, certificates.Count > 0 ? certificates : null);
    }

    public static PkiCertificateSummary Summarize(FoundCertificate found, KeyPairing? pairing)
    {
        var cert = found.Certificate;
        return new PkiCertificateSummary(found.Source, cert.Subject, cert.Issuer, SubjectAltNames(cert),
            new DateTimeOffset(cert.NotBefore.ToUniversalTime()), new DateTimeOffset(cert.NotAfter.ToUniversalTime()),
            cert.SerialNumber, PkiKeyPairing.IsCertificateAuthority(cert), pairing?.Key?.Path, pairing?.Matches);
    }

    public static IReadOnlyList<string> SubjectAltNames(X509Certificate2 cert)
    {
        var san = cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (san is null)
            return [];
        return [.. san.EnumerateDnsNames().Select(d => "DNS:" + d), .. san.EnumerateIPAddresses().Select(ip => "IP:" + ip)];
    }

    public static string FormatMode(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0xFFF, 8).PadLeft(3, '0');

    /// <summary>Octal permission text as the manifest records it ("0644"); anything else is a damaged manifest.</summary>
    public static UnixFileMode ParseMode(string text, string path)
    {
        if (text.Length is 0 or > 7 || !text.All(c => c is >= '0' and <= '7'))
            throw new PkiArchiveException($"the manifest records a malformed mode '{text}' for {path}", isIntegrityFailure: true);
        return (UnixFileMode)(Convert.ToInt32(text, 8) & 0xFFF);
    }
}
