using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace PkiVault.Archive;

/// <summary>
/// Recognises what a PKI file holds: PEM certificates, private and public keys, and kubeconfigs with
/// embedded client-certificate-data / client-key-data / certificate-authority-data.
/// </summary>
public static partial class PkiContentAnalyzer
{
    public static PkiFileAnalysis Analyze(string path, byte[] data)
    {
        var text = Encoding.UTF8.GetString(data);
        var certificates = new List<FoundCertificate>();
        var privateKeys = new List<FoundPrivateKey>();
        var publicKeys = new List<FoundPublicKey>();
        var notes = new List<string>();

        var isKubeconfig = KubeconfigMarker().IsMatch(text);
        if (isKubeconfig)
        {
            foreach (Match m in KubeconfigData().Matches(text))
            {
                var field = m.Groups[1].Value;
                byte[] decoded;
                try
                {
                    decoded = Convert.FromBase64String(m.Groups[2].Value);
                }
                catch (FormatException)
                {
                    notes.Add($"{field} is not valid base64");
                    continue;
                }
                ScanPem(path, $"kubeconfig:{field}", Encoding.UTF8.GetString(decoded), certificates, privateKeys, publicKeys, notes);
            }
            foreach (Match m in KubeconfigFileReference().Matches(text))
                notes.Add($"{m.Groups[1].Value} refers to {m.Groups[2].Value}, outside the archive; not checked");
        }
        else
        {
            ScanPem(path, "file", text, certificates, privateKeys, publicKeys, notes);
        }

        var kind = isKubeconfig ? "kubeconfig"
            : certificates.Count > 0 && privateKeys.Count > 0 ? "certificate+key"
            : certificates.Count > 0 ? "certificate"
            : privateKeys.Count > 0 ? "private-key"
            : publicKeys.Count > 0 ? "public-key"
            : "other";
        return new PkiFileAnalysis(path, kind, privateKeys.Count > 0, certificates, privateKeys, publicKeys, notes);
    }

    private static void ScanPem(string path, string source, string text, List<FoundCertificate> certificates,
        List<FoundPrivateKey> privateKeys, List<FoundPublicKey> publicKeys, List<string> notes)
    {
        var remaining = text.AsSpan();
        while (PemEncoding.TryFind(remaining, out var fields))
        {
            var label = remaining[fields.Label].ToString();
            var pem = remaining[fields.Location].ToString();
            var der = Convert.FromBase64String(remaining[fields.Base64Data].ToString());
            remaining = remaining[fields.Location.End..];
            switch (label)
            {
                case "CERTIFICATE":
                    try
                    {
                        certificates.Add(new FoundCertificate(path, source, X509CertificateLoader.LoadCertificate(der)));
                    }
                    catch (CryptographicException ex)
                    {
                        notes.Add($"a certificate in {source} could not be parsed: {ex.Message}");
                    }
                    break;
                case "PRIVATE KEY" or "RSA PRIVATE KEY" or "EC PRIVATE KEY":
                    privateKeys.Add(LoadPrivateKey(path, source, label, pem, der));
                    break;
                case "PUBLIC KEY":
                    publicKeys.Add(new FoundPublicKey(path, der));
                    break;
                case "ENCRYPTED PRIVATE KEY":
                    privateKeys.Add(new FoundPrivateKey(path, source, null, "encrypted", "the key is encrypted; cannot check it"));
                    break;
                default:
                    break;
            }
        }
    }

    private static FoundPrivateKey LoadPrivateKey(string path, string source, string label, string pem, byte[] der)
    {
        if (label is "RSA PRIVATE KEY" or "PRIVATE KEY")
        {
            try
            {
                using var rsa = RSA.Create();
                rsa.ImportFromPem(pem);
                return new FoundPrivateKey(path, source, rsa.ExportSubjectPublicKeyInfo(), "RSA", null);
            }
            catch (CryptographicException) when (label == "PRIVATE KEY")
            {
                // Not RSA: try the other algorithms below.
            }
            catch (CryptographicException ex)
            {
                return new FoundPrivateKey(path, source, null, "RSA", ex.Message);
            }
        }
        if (label is "EC PRIVATE KEY" or "PRIVATE KEY")
        {
            try
            {
                using var ec = ECDsa.Create();
                ec.ImportFromPem(pem);
                return new FoundPrivateKey(path, source, ec.ExportSubjectPublicKeyInfo(), "ECDSA", null);
            }
            catch (CryptographicException) when (label == "PRIVATE KEY")
            {
                // Fall through to Ed25519, which .NET cannot load.
            }
            catch (CryptographicException ex)
            {
                return new FoundPrivateKey(path, source, null, "ECDSA", ex.Message);
            }
        }
        try
        {
            if (PrivateKeyFactory.CreateKey(der) is Ed25519PrivateKeyParameters ed)
            {
                var info = SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(ed.GeneratePublicKey());
                return new FoundPrivateKey(path, source, info.GetDerEncoded(), "Ed25519", null);
            }
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidCastException or IOException or SecurityUtilityException)
        {
            return new FoundPrivateKey(path, source, null, "unknown", ex.Message);
        }
        return new FoundPrivateKey(path, source, null, "unknown", "unsupported key algorithm");
    }

    /// <summary>The certificate's public key as SubjectPublicKeyInfo DER, comparable with a key's.</summary>
    public static byte[] PublicKeyInfo(X509Certificate2 certificate) => certificate.PublicKey.ExportSubjectPublicKeyInfo();

    [GeneratedRegex(@"^\s*(clusters|users|contexts)\s*:", RegexOptions.Multiline)]
    private static partial Regex KubeconfigMarker();

    [GeneratedRegex(@"^\s*(client-certificate-data|client-key-data|certificate-authority-data)\s*:\s*""?([A-Za-z0-9+/=]+)""?\s*$", RegexOptions.Multiline)]
    private static partial Regex KubeconfigData();

    [GeneratedRegex(@"^\s*(client-certificate|client-key|certificate-authority)\s*:\s*(\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex KubeconfigFileReference();
}
