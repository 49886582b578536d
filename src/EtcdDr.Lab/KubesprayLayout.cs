namespace EtcdDr.Lab;

/// <summary>
/// Lays out what Kubespray's etcd role (etcd_deployment_type: host) leaves on an etcd node: certs in
/// /etc/ssl/etcd/ssl named after the inventory hosts, /etc/etcd.env with the ETCD_* settings,
/// etcd.service reading it, and the binaries in /usr/local/bin.
/// </summary>
public static class KubesprayLayout
{
    public const string CertDirectory = "/etc/ssl/etcd/ssl";
    public const string EnvFile = "/etc/etcd.env";
    public const string Unit = "/etc/systemd/system/etcd.service";

    /// <summary>Certs for every host: Kubespray syncs the whole set to each etcd node.</summary>
    public static IReadOnlyDictionary<string, LabCertificate> IssueCertificates(LabSpec spec, LabPki pki)
    {
        var certs = new Dictionary<string, LabCertificate>();
        foreach (var m in spec.Masters)
        {
            certs[$"admin-{m.Name}"] = pki.Etcd.IssueClient($"etcd-admin-{m.Name}");
            certs[$"member-{m.Name}"] = pki.IssueEtcdMember(m, LabCertificatePurpose.Peer);
            certs[$"node-{m.Name}"] = pki.Etcd.IssueClient($"etcd-node-{m.Name}");
        }
        return certs;
    }

    public static void Write(LabSpec spec, LabMaster master, MasterPaths paths, LabPki pki, IReadOnlyDictionary<string, LabCertificate> certs)
    {
        var certDir = paths.Inside(CertDirectory);
        pki.Etcd.Certificate.WriteFiles(Path.Combine(certDir, "ca.pem"), Path.Combine(certDir, "ca-key.pem"), PrivateKeyPemFormat.Legacy);
        foreach (var (name, cert) in certs)
            cert.WriteFiles(Path.Combine(certDir, name + ".pem"), Path.Combine(certDir, name + "-key.pem"), PrivateKeyPemFormat.Legacy);
        WriteConfig(spec, master, paths);
    }

    /// <summary>Everything but the certificates: etcd.env, the unit, the binaries' links and etcdctl.sh.</summary>
    public static void WriteConfig(LabSpec spec, LabMaster master, MasterPaths paths)
    {
        LabFiles.Write(paths.Inside(EnvFile), EnvironmentFile(spec, master), LabFiles.Public);
        if (spec.Flavor == LabFlavor.KubesprayDocker)
            return; // the wrapper unit and script instead, and no etcdctl on the host: KubesprayDockerLayout
        LabFiles.Write(paths.Inside(Unit), UnitFile, LabFiles.Public);
        LabFiles.Symlink(paths.Inside("/usr/local/bin/etcd"), LabTools.Require("etcd"));
        LabFiles.Symlink(paths.Inside("/usr/local/bin/etcdctl"), LabTools.Require("etcdctl"));
        LabFiles.Write(paths.Inside("/usr/local/bin/etcdctl.sh"), EtcdctlScript(master), LabFiles.Executable);
    }

    /// <summary>
    /// Kubespray's etcdctl.sh helper: etcdctl with this host's admin certificate. Kubespray relies on
    /// etcdctl's default endpoint 127.0.0.1:2379, which no lab master listens on, so the lab's copy
    /// names the master's own client URL.
    /// </summary>
    public static string EtcdctlScript(LabMaster master) => $$"""
        #!/bin/bash
        # example invocation: etcdctl.sh get --keys-only --from-key ""

        etcdctl \
          --endpoints {{master.ClientUrl}} \
          --cacert {{CertDirectory}}/ca.pem \
          --cert {{CertDirectory}}/admin-{{master.Name}}.pem \
          --key {{CertDirectory}}/admin-{{master.Name}}-key.pem "$@"

        """;

    /// <summary>
    /// The variables of Kubespray's roles/etcd/templates/etcd.env.j2 with its defaults, minus the
    /// https://127.0.0.1:2379 listener (every lab master shares the host's loopback) and with
    /// ETCDCTL_ENDPOINTS on the master's own address for the same reason.
    /// </summary>
    public static string EnvironmentFile(LabSpec spec, LabMaster master) => $"""
        # Environment file for etcd v{LabTools.EtcdVersion()}
        ETCD_DATA_DIR=/var/lib/etcd
        ETCD_ADVERTISE_CLIENT_URLS={master.ClientUrl}
        ETCD_INITIAL_ADVERTISE_PEER_URLS={master.PeerUrl}
        ETCD_INITIAL_CLUSTER_STATE=new
        ETCD_METRICS=basic
        ETCD_LISTEN_CLIENT_URLS={master.ClientUrl}
        ETCD_ELECTION_TIMEOUT=5000
        ETCD_HEARTBEAT_INTERVAL=250
        ETCD_INITIAL_CLUSTER_TOKEN=k8s_etcd
        ETCD_LISTEN_PEER_URLS={master.PeerUrl}
        ETCD_NAME={master.Name}
        ETCD_PROXY=off
        ETCD_INITIAL_CLUSTER={spec.InitialCluster}
        ETCD_AUTO_COMPACTION_RETENTION=8
        ETCD_SNAPSHOT_COUNT=10000
        ETCD_QUOTA_BACKEND_BYTES=2147483648
        ETCD_MAX_REQUEST_BYTES=1572864
        ETCD_LOG_LEVEL=info
        ETCD_MAX_SNAPSHOTS=5
        ETCD_MAX_WALS=5
        # Flannel need etcd v2 API
        ETCD_ENABLE_V2=true

        # TLS settings
        ETCD_TRUSTED_CA_FILE={CertDirectory}/ca.pem
        ETCD_CERT_FILE={CertDirectory}/member-{master.Name}.pem
        ETCD_KEY_FILE={CertDirectory}/member-{master.Name}-key.pem
        ETCD_CLIENT_CERT_AUTH=true

        ETCD_PEER_TRUSTED_CA_FILE={CertDirectory}/ca.pem
        ETCD_PEER_CERT_FILE={CertDirectory}/member-{master.Name}.pem
        ETCD_PEER_KEY_FILE={CertDirectory}/member-{master.Name}-key.pem
        ETCD_PEER_CLIENT_CERT_AUTH=true

        # CLI settings
        ETCDCTL_ENDPOINTS={master.ClientUrl}
        ETCDCTL_CACERT={CertDirectory}/ca.pem
        ETCDCTL_KEY={CertDirectory}/admin-{master.Name}-key.pem
        ETCDCTL_CERT={CertDirectory}/admin-{master.Name}.pem

        """;

    /// <summary>Kubespray's etcd-host.service.j2: Type=notify, Restart=always.</summary>
    public const string UnitFile = """
        [Unit]
        Description=etcd
        After=network.target

        [Service]
        Type=notify
        User=root
        EnvironmentFile=/etc/etcd.env
        ExecStart=/usr/local/bin/etcd
        NotifyAccess=all
        Restart=always
        RestartSec=10s
        LimitNOFILE=40000

        [Install]
        WantedBy=multi-user.target

        """;
}
