using System.Security.Cryptography.X509Certificates;

namespace PkiVault.Archive;

/// <summary>Where a certificate's private key is and whether it matches.</summary>
public sealed record KeyPairing(FoundCertificate Certificate, FoundPrivateKey? Key)
{
    public bool? Matches => Key?.PublicKeyInfo is { } info
        ? info.AsSpan().SequenceEqual(PkiContentAnalyzer.PublicKeyInfo(Certificate.Certificate))
        : null;
}

/// <summary>
/// Pairs certificates with private keys by the naming conventions of kubeadm (<c>x.crt</c> /
/// <c>x.key</c>) and Kubespray (<c>x.pem</c> / <c>x-key.pem</c>), a key in the same file, or the
/// client key embedded next to a client certificate in a kubeconfig.
/// </summary>
public static class PkiKeyPairing
{
    public static IReadOnlyList<KeyPairing> Pair(IReadOnlyList<PkiFileAnalysis> files)
    {
        var keysByPath = files.Where(f => f.PrivateKeys.Count > 0).ToDictionary(f => f.Path, f => f.PrivateKeys, StringComparer.Ordinal);
        var result = new List<KeyPairing>();
        foreach (var file in files)
        {
            foreach (var cert in file.Certificates)
            {
                // CA bundles inside kubeconfigs and CA-only files have no key next to them by design.
                if (cert.Source == "kubeconfig:certificate-authority-data")
                    continue;
                result.Add(new KeyPairing(cert, FindKey(cert, file, keysByPath)));
            }
        }
        return result;
    }

    private static FoundPrivateKey? FindKey(FoundCertificate cert, PkiFileAnalysis file, Dictionary<string, IReadOnlyList<FoundPrivateKey>> keysByPath)
    {
        if (cert.Source == "kubeconfig:client-certificate-data")
            return file.PrivateKeys.FirstOrDefault(k => k.Source == "kubeconfig:client-key-data");
        if (file.PrivateKeys.FirstOrDefault(k => k.Source == "file") is { } sameFile)
            return sameFile;
        foreach (var candidate in CandidateKeyPaths(cert.Path))
        {
            if (keysByPath.TryGetValue(candidate, out var keys))
                return keys[0];
        }
        return null;
    }

    public static IEnumerable<string> CandidateKeyPaths(string certificatePath)
    {
        if (certificatePath.EndsWith(".crt", StringComparison.Ordinal))
            yield return certificatePath[..^4] + ".key";
        if (certificatePath.EndsWith(".pem", StringComparison.Ordinal))
        {
            yield return certificatePath[..^4] + "-key.pem";
            yield return certificatePath[..^4] + ".key";
        }
        if (certificatePath.EndsWith(".cert", StringComparison.Ordinal))
            yield return certificatePath[..^5] + ".key";
    }

    public static bool IsCertificateAuthority(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault()?.CertificateAuthority == true;
}
