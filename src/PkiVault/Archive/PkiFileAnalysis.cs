using System.Security.Cryptography.X509Certificates;

namespace PkiVault.Archive;

/// <summary>A certificate and where it was found ("file" or "kubeconfig:users[name]...").</summary>
public sealed record FoundCertificate(string Path, string Source, X509Certificate2 Certificate);

/// <summary>
/// A private key reduced to what checks need: the public half (SubjectPublicKeyInfo DER), never
/// the secret. <see cref="Error"/> says why it could not be loaded.
/// </summary>
public sealed record FoundPrivateKey(string Path, string Source, byte[]? PublicKeyInfo, string Algorithm, string? Error);

/// <summary>A public key file (sa.pub), as SubjectPublicKeyInfo DER.</summary>
public sealed record FoundPublicKey(string Path, byte[] PublicKeyInfo);

/// <summary>What one file of the PKI set contains.</summary>
public sealed record PkiFileAnalysis(
    string Path,
    string Kind,
    bool ContainsSecret,
    IReadOnlyList<FoundCertificate> Certificates,
    IReadOnlyList<FoundPrivateKey> PrivateKeys,
    IReadOnlyList<FoundPublicKey> PublicKeys,
    IReadOnlyList<string> Notes);
