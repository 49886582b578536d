using System.Security.Cryptography.X509Certificates;

namespace PkiVault.Archive;

public enum PkiSeverity
{
    Ok,
    Warning,
    Error,
}

/// <summary>One result of a check: chain, key, or expiry, for one certificate or key file.</summary>
public sealed record PkiFinding(PkiSeverity Severity, string Check, string Path, string Subject, string Detail);

public sealed record PkiCheckReport(IReadOnlyList<PkiFinding> Findings)
{
    public bool HasErrors => Findings.Any(f => f.Severity == PkiSeverity.Error);
    public int Errors => Findings.Count(f => f.Severity == PkiSeverity.Error);
    public int Warnings => Findings.Count(f => f.Severity == PkiSeverity.Warning);
}

/// <summary>
/// Checks a PKI set the way a broken cluster would find out: every certificate must chain to a CA
/// in the set, every key must belong to its certificate, and nothing may be expired.
/// </summary>
public static class PkiChecker
{
    public static PkiCheckReport Check(IReadOnlyList<PkiFileAnalysis> files, DateTimeOffset now, int warnDays)
    {
        var findings = new List<PkiFinding>();
        var all = files.SelectMany(f => f.Certificates).ToList();
        var cas = all.Where(c => PkiKeyPairing.IsCertificateAuthority(c.Certificate))
            .DistinctBy(c => c.Certificate.Thumbprint).ToList();
        var roots = cas.Where(c => c.Certificate.SubjectName.RawData.AsSpan().SequenceEqual(c.Certificate.IssuerName.RawData)).Select(c => c.Certificate).ToList();
        var intermediates = cas.Select(c => c.Certificate).Except(roots).ToList();

        foreach (var found in all)
        {
            findings.Add(CheckChain(found, roots, intermediates, now));
            findings.Add(CheckExpiry(found, now, warnDays));
        }
        foreach (var pairing in PkiKeyPairing.Pair(files))
            findings.Add(CheckKey(pairing));
        findings.AddRange(CheckPublicKeyFiles(files));
        foreach (var file in files)
        {
            foreach (var note in file.Notes)
                findings.Add(new PkiFinding(PkiSeverity.Warning, "content", file.Path, "", note));
        }
        return new PkiCheckReport(findings);
    }

    private static string Where(FoundCertificate c) => c.Source == "file" ? c.Path : $"{c.Path} ({c.Source["kubeconfig:".Length..]})";

    private static PkiFinding CheckChain(FoundCertificate found, List<X509Certificate2> roots, List<X509Certificate2> intermediates, DateTimeOffset now)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots.ToArray());
        chain.ChainPolicy.ExtraStore.AddRange(intermediates.ToArray());
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        // Expiry is its own check with its own message; here only signatures and issuers count.
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.IgnoreNotTimeValid | X509VerificationFlags.IgnoreCtlNotTimeValid
            | X509VerificationFlags.IgnoreNotTimeNested;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        var subject = found.Certificate.Subject;
        if (roots.Count == 0)
            return new PkiFinding(PkiSeverity.Error, "chain", Where(found), subject, "no self-signed CA certificate in the set to check against");
        if (chain.Build(found.Certificate))
        {
            var issuer = chain.ChainElements.Count > 1 ? chain.ChainElements[1].Certificate.Subject : "itself (a root CA)";
            return new PkiFinding(PkiSeverity.Ok, "chain", Where(found), subject, $"issued by {issuer}");
        }
        var problems = chain.ChainStatus.Where(s => s.Status is not (X509ChainStatusFlags.NotTimeValid or X509ChainStatusFlags.NoError))
            .Select(s => s.StatusInformation.Trim()).Distinct().ToList();
        return new PkiFinding(PkiSeverity.Error, "chain", Where(found), subject,
            $"does not chain to a CA in the set (issuer {found.Certificate.Issuer}): {string.Join("; ", problems)}");
    }

    private static PkiFinding CheckExpiry(FoundCertificate found, DateTimeOffset now, int warnDays)
    {
        var cert = found.Certificate;
        var notAfter = new DateTimeOffset(cert.NotAfter.ToUniversalTime());
        var notBefore = new DateTimeOffset(cert.NotBefore.ToUniversalTime());
        var left = notAfter - now;
        if (left <= TimeSpan.Zero)
            return new PkiFinding(PkiSeverity.Error, "expiry", Where(found), cert.Subject, $"expired on {notAfter:yyyy-MM-dd HH:mm}Z");
        if (notBefore > now)
            return new PkiFinding(PkiSeverity.Warning, "expiry", Where(found), cert.Subject, $"not valid before {notBefore:yyyy-MM-dd HH:mm}Z");
        if (left < TimeSpan.FromDays(warnDays))
            return new PkiFinding(PkiSeverity.Warning, "expiry", Where(found), cert.Subject, $"expires in {left.TotalDays:0} days ({notAfter:yyyy-MM-dd}); renew it");
        return new PkiFinding(PkiSeverity.Ok, "expiry", Where(found), cert.Subject, $"valid until {notAfter:yyyy-MM-dd} ({left.TotalDays:0} days)");
    }

    private static PkiFinding CheckKey(KeyPairing pairing)
    {
        var found = pairing.Certificate;
        var subject = found.Certificate.Subject;
        if (pairing.Key is null)
        {
            // A CA without its key in the set is normal for external-CA setups; a leaf without one is worth a look.
            return new PkiFinding(PkiSeverity.Warning, "key", Where(found), subject, "no private key for this certificate in the set");
        }
        if (pairing.Key.Error is { } error)
            return new PkiFinding(PkiSeverity.Warning, "key", Where(found), subject, $"key {pairing.Key.Path} could not be checked: {error}");
        return pairing.Matches == true
            ? new PkiFinding(PkiSeverity.Ok, "key", Where(found), subject, $"{pairing.Key.Algorithm} key {KeyWhere(pairing.Key)} matches")
            : new PkiFinding(PkiSeverity.Error, "key", Where(found), subject, $"key {KeyWhere(pairing.Key)} does NOT belong to this certificate");
    }

    private static string KeyWhere(FoundPrivateKey key) => key.Source == "file" ? key.Path : $"{key.Path} ({key.Source["kubeconfig:".Length..]})";

    /// <summary>Service-account keys: sa.pub must be the public half of sa.key.</summary>
    private static IEnumerable<PkiFinding> CheckPublicKeyFiles(IReadOnlyList<PkiFileAnalysis> files)
    {
        var byPath = files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        foreach (var file in files)
        {
            foreach (var pub in file.PublicKeys)
            {
                var keyPath = pub.Path.EndsWith(".pub", StringComparison.Ordinal) ? pub.Path[..^4] + ".key" : null;
                if (keyPath is null || !byPath.TryGetValue(keyPath, out var keyFile) || keyFile.PrivateKeys.Count == 0)
                {
                    yield return new PkiFinding(PkiSeverity.Warning, "key", pub.Path, "", "no matching private key file in the set");
                    continue;
                }
                var key = keyFile.PrivateKeys[0];
                if (key.PublicKeyInfo is null)
                    yield return new PkiFinding(PkiSeverity.Warning, "key", pub.Path, "", $"{keyPath} could not be checked: {key.Error}");
                else if (key.PublicKeyInfo.AsSpan().SequenceEqual(pub.PublicKeyInfo))
                    yield return new PkiFinding(PkiSeverity.Ok, "key", pub.Path, "", $"public half of {keyPath}");
                else
                    yield return new PkiFinding(PkiSeverity.Error, "key", pub.Path, "", $"is NOT the public half of {keyPath}");
            }
        }
    }
}
