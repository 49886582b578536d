using System.Net;

namespace EtcdDr.Lab;

/// <summary>
/// What to put into one leaf certificate. Validity defaults to "from an hour ago for a year"; tests set
/// <see cref="NotBefore"/>/<see cref="NotAfter"/> in the past to get a certificate that is really expired.
/// </summary>
public sealed record LabCertificateRequest(string CommonName, LabCertificatePurpose Purpose)
{
    public IReadOnlyList<IPAddress> IpAddresses { get; init; } = [];
    public IReadOnlyList<string> DnsNames { get; init; } = [];

    /// <summary>Subject O=; Kubernetes reads it as the group (for example "system:masters").</summary>
    public string? Organization { get; init; }

    public DateTimeOffset? NotBefore { get; init; }
    public DateTimeOffset? NotAfter { get; init; }

    /// <summary>The leaf's own key type; null means the same as the issuing CA.</summary>
    public LabKeyAlgorithm? KeyAlgorithm { get; init; }
}
