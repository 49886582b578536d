using EtcdDr.Lab;

namespace EtcdDr.IntegrationTests.Infrastructure;

public sealed record EtcdClusterOptions
{
    /// <summary>1 or 3 in practice; any count up to 250 works.</summary>
    public int MemberCount { get; init; } = 1;

    /// <summary>https everywhere, client-cert-auth and peer-client-cert-auth on, certs from a fresh lab CA.</summary>
    public bool Tls { get; init; }

    public LabKeyAlgorithm KeyAlgorithm { get; init; } = LabKeyAlgorithm.EcdsaP256;

    /// <summary>Names the temp folder and the members ("{Name}-1", ...).</summary>
    public string Name { get; init; } = "etcd";

    /// <summary>Small, so raft snapshots (and WAL/snap files) really happen in short tests.</summary>
    public int SnapshotCount { get; init; } = 1000;

    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// When set, every member's data dir is first made by a real <c>etcdctl snapshot restore</c> of this
    /// file (hash checked), as in the snapshot-all restore strategy.
    /// </summary>
    public string? RestoreFromSnapshot { get; init; }

    /// <summary>More etcd flags, appended after ours (e.g. "--quota-backend-bytes", "16777216").</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];
}

/// <summary>What a client needs to talk to a TLS cluster: --cacert, --cert, --key.</summary>
public sealed record EtcdClientCertificatePaths(string CaFile, string CertFile, string KeyFile);

/// <summary>Per-call tweaks for <see cref="EtcdCluster.RunEtcdctlAsync"/>.</summary>
public sealed record EtcdctlOptions
{
    /// <summary>Instead of the running members' client URLs.</summary>
    public IReadOnlyList<string>? Endpoints { get; init; }

    /// <summary>Instead of the cluster's own client certificate (wrong-CA / expired-cert tests).</summary>
    public EtcdClientCertificatePaths? ClientCertificate { get; init; }

    public string? StandardInput { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>An etcd member did not become healthy; the message holds its argv, exit code and log tail.</summary>
public sealed class EtcdStartupException(string message) : Exception(message);
