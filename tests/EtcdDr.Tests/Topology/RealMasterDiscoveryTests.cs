using EtcdDr.Remote;
using EtcdDr.Testing;
using EtcdDr.Topology;

namespace EtcdDr.Tests.Topology;

/// <summary>
/// Discovery against files as kubeadm, Kubespray and operators really leave them (issue 10): a
/// restored kubeadm master whose etcd-data hostPath moved, Kubespray's docker wrapper script,
/// drop-ins, systemd's env file syntax, -flag and sh -c forms, missing certificates, both flavors.
/// </summary>
public class RealMasterDiscoveryTests
{
    /// <summary>The Kubernetes docs' restore: only the etcd-data volume's hostPath changes.</summary>
    public static string RestoredKubeadmManifest(string dataHostPath = "/var/lib/etcd-from-backup", string pkiHostPath = "/etc/kubernetes/pki/etcd") =>
        Fixtures.KubeadmEtcdManifest
            .Replace("- hostPath:\n      path: /var/lib/etcd\n", $"- hostPath:\n      path: {dataHostPath}\n", StringComparison.Ordinal)
            .Replace("- hostPath:\n      path: /etc/kubernetes/pki/etcd\n", $"- hostPath:\n      path: {pkiHostPath}\n", StringComparison.Ordinal);

    /// <summary>Kubespray's etcd-docker.service.j2 since v2.1.1: the unit runs /usr/local/bin/etcd.</summary>
    public const string KubesprayDockerWrapperUnit = """
        [Unit]
        Description=etcd docker wrapper
        Wants=docker.socket
        After=docker.service

        [Service]
        User=root
        PermissionsStartOnly=true
        EnvironmentFile=-/etc/etcd.env
        ExecStart=/usr/local/bin/etcd
        ExecStartPre=-/usr/bin/docker rm -f etcd1
        ExecStop=/usr/bin/docker stop etcd1
        Restart=always
        RestartSec=15s
        TimeoutStartSec=30s

        [Install]
        WantedBy=multi-user.target
        """;

    /// <summary>Kubespray's etcd.j2: /usr/local/bin/etcd is this script, not a binary.</summary>
    public const string KubesprayDockerWrapper = """
        #!/bin/bash
        /usr/bin/docker run \
          --restart=on-failure:5 \
          --env-file=/etc/etcd.env \
          --net=host \
          -v /etc/ssl/certs:/etc/ssl/certs:ro \
          -v /etc/ssl/etcd/ssl:/etc/ssl/etcd/ssl:ro \
          -v /var/lib/etcd:/var/lib/etcd:rw \
          --memory=512M \
          --blkio-weight=1000 \
          --name=etcd1 \
          quay.io/coreos/etcd:v3.5.16 \
          /usr/local/bin/etcd \
          "$@"
        """;

    private static FakeRemoteHost KubesprayHost(string name = "node1")
    {
        var host = new FakeRemoteHost(name);
        host.Files["/etc/etcd.env"] = Fixtures.KubesprayEtcdEnv;
        Fixtures.KubesprayFilesPresent(host);
        return host;
    }

    [Fact]
    public async Task Kubeadm_data_dir_is_the_etcd_data_hostPath_not_the_pod_path()
    {
        var host = new FakeRemoteHost("cp-1");
        host.Files["/etc/kubernetes/manifests/etcd.yaml"] = RestoredKubeadmManifest(pkiHostPath: "/srv/pki/etcd");
        Assert.Contains("path: /var/lib/etcd-from-backup", host.Files["/etc/kubernetes/manifests/etcd.yaml"], StringComparison.Ordinal);
        Fixtures.KubeadmFilesPresent(host, pki: "/srv/pki/etcd", dataDir: "/var/lib/etcd-from-backup");

        var t = await TopologyDetector.DetectAsync(host, default);

        Assert.Equal("/var/lib/etcd-from-backup", t.DataDir); // what a restore moves aside
        Assert.Equal("/var/lib/etcd", t.PodDataDir);
        Assert.Contains(t.Notes, n => n.StartsWith("data dir: etcd sees /var/lib/etcd inside the pod; on the host it is /var/lib/etcd-from-backup (volume etcd-data)", StringComparison.Ordinal));
        // Every certificate path is a host path, through the etcd-certs volume.
        Assert.Equal(new EtcdCertPaths("/srv/pki/etcd/ca.crt", "/srv/pki/etcd/server.crt", "/srv/pki/etcd/server.key", "/srv/pki/etcd/ca.crt",
            "/srv/pki/etcd/peer.crt", "/srv/pki/etcd/peer.key", "/srv/pki/etcd/healthcheck-client.crt", "/srv/pki/etcd/healthcheck-client.key"), t.Certs);
        Assert.Contains(t.Notes, n => n == "/etc/kubernetes/pki/etcd/ca.crt inside the pod is /srv/pki/etcd/ca.crt on the host (volume etcd-certs)");
        Assert.DoesNotContain(t.Notes, n => n.Contains("missing", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_subPath_mount_and_the_longest_mount_point_win()
    {
        var manifest = Fixtures.KubeadmEtcdManifest.Replace("- mountPath: /var/lib/etcd\n      name: etcd-data\n",
            "- mountPath: /var/lib/etcd\n      name: etcd-data\n      subPath: member-data\n", StringComparison.Ordinal);
        Assert.Contains("subPath", manifest, StringComparison.Ordinal);
        var host = new FakeRemoteHost("cp-1");
        host.Files["/etc/kubernetes/manifests/etcd.yaml"] = manifest;
        var t = await TopologyDetector.DetectAsync(host, default);
        Assert.Equal(("/var/lib/etcd/member-data", "/var/lib/etcd"), (t.DataDir, t.PodDataDir));
    }

    [Fact]
    public async Task A_data_dir_on_no_host_path_is_refused_rather_than_guessed()
    {
        var manifest = Fixtures.KubeadmEtcdManifest.Replace("- --data-dir=/var/lib/etcd", "- --data-dir=/data/etcd", StringComparison.Ordinal);
        var host = new FakeRemoteHost("cp-1");
        host.Files["/etc/kubernetes/manifests/etcd.yaml"] = manifest;
        var ex = await Assert.ThrowsAsync<DrException>(() => TopologyDetector.DetectAsync(host, default));
        Assert.Contains("etcd's data dir /data/etcd is inside the pod", ex.Message);
    }

    [Fact]
    public async Task Kubespray_docker_wrapper_script_is_read_never_run()
    {
        var host = KubesprayHost();
        host.Files["/etc/systemd/system/etcd.service"] = KubesprayDockerWrapperUnit;
        host.Files["/usr/local/bin/etcd"] = KubesprayDockerWrapper;
        Fixtures.AnsweringDocker(host);

        var t = await TopologyDetector.DetectAsync(host, default);

        Assert.Equal(EtcdFlavor.KubesprayDocker, t.Flavor);
        Assert.Equal(("quay.io/coreos/etcd:v3.5.16", "3.5.16", "etcd1"), (t.Image, t.EtcdVersion, t.ContainerName));
        Assert.Equal(("/var/lib/etcd", "/var/lib/etcd"), (t.DataDir, t.PodDataDir));
        Assert.Equal(("/etc/etcd.env", Fixtures.KubesprayEtcdEnv, "/etc/systemd/system/etcd.service"), (t.ConfigFile, t.ConfigText, t.UnitFile));
        Assert.Null(t.EtcdUser); // no -u: etcd runs as the image's user (root), whatever the unit's User= runs the docker CLI as
        Assert.Equal("etcd1", t.MemberName);
        Assert.Equal(new EtcdTool("docker", "/usr/bin/docker", "quay.io/coreos/etcd:v3.5.16"), t.Etcdctl);
        Assert.Equal("/etc/ssl/etcd/ssl/admin-node1.pem", t.Certs.ClientCert);
        Assert.Contains("/usr/local/bin/etcd is a script that runs etcd with `docker run` (read, never run)", t.Notes);
        Assert.Contains("head -c 4 -- /usr/local/bin/etcd", host.Commands);
        Assert.DoesNotContain(host.Commands, c => c.StartsWith("/usr/local/bin/etcd", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Docker_binds_map_container_paths_to_the_host_and_flags_after_the_image_count()
    {
        var host = KubesprayHost();
        host.Files["/etc/systemd/system/etcd.service"] = KubesprayDockerWrapperUnit.Replace("ExecStart=/usr/local/bin/etcd", "ExecStart=/usr/local/bin/etcd --snapshot-count=5000", StringComparison.Ordinal);
        host.Files["/usr/local/bin/etcd"] = """
            #!/bin/sh
            # etcd in a container; data on the big disk
            exec /usr/bin/docker run --rm -it --env-file /etc/etcd.env -u 1000:1000 \
              --mount type=bind,source=/srv/etcd,target=/var/lib/etcd \
              -v /etc/ssl/etcd/ssl:/etc/ssl/etcd/ssl:ro --name etcd-main \
              registry.local:5000/etcd:v3.5.9 etcd -name etcd1 "$@"
            """;
        host.Files["/srv/etcd"] = "";

        var t = await TopologyDetector.DetectAsync(host, default);

        Assert.Equal(EtcdFlavor.KubesprayDocker, t.Flavor);
        Assert.Equal(("/srv/etcd", "/var/lib/etcd"), (t.DataDir, t.PodDataDir));
        Assert.Equal(("etcd-main", "1000:1000", "3.5.9"), (t.ContainerName, t.EtcdUser, t.EtcdVersion));
        Assert.Equal("/usr/local/bin/etcd", t.ConfigFile); // the flags that count are in the script
        Assert.Contains(t.Notes, n => n.StartsWith("data dir: etcd sees /var/lib/etcd inside the container; on the host it is /srv/etcd", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Version_comes_from_etcdctl_version_of_a_real_binary_never_from_etcd()
    {
        var host = KubesprayHost();
        host.Files["/etc/etcd.env"] = Fixtures.KubesprayEtcdEnv.Replace("# Environment file for etcd v3.5.16\n", "", StringComparison.Ordinal);
        host.Files["/etc/systemd/system/etcd.service"] = "[Service]\nEnvironmentFile=/etc/etcd.env\nExecStart=/usr/local/bin/etcd\n";
        host.Files["/usr/local/bin/etcd"] = Fixtures.ElfBinary;
        host.Files["/usr/local/bin/etcdctl"] = Fixtures.ElfBinary;
        host.Answers["/usr/local/bin/etcd --version"] = new ProcessResult(0, "etcd Version: 9.9.9\n", "");
        host.Answers["/usr/local/bin/etcdctl version"] = new ProcessResult(0, "etcdctl version: 3.5.16\nAPI version: 3.5\n", "");

        var t = await TopologyDetector.DetectAsync(host, default);

        Assert.Equal("3.5.16", t.EtcdVersion);
        Assert.DoesNotContain(host.Commands, c => c.StartsWith("/usr/local/bin/etcd ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_etcdctl_that_is_a_script_is_not_run_and_the_version_stays_unknown()
    {
        var host = KubesprayHost();
        host.Files["/etc/etcd.env"] = Fixtures.KubesprayEtcdEnv.Replace("# Environment file for etcd v3.5.16\n", "", StringComparison.Ordinal);
        host.Files["/etc/systemd/system/etcd.service"] = "[Service]\nEnvironmentFile=/etc/etcd.env\nExecStart=/usr/local/bin/etcd\n";
        host.Files["/usr/local/bin/etcd"] = Fixtures.ElfBinary;
        host.Files["/usr/local/bin/etcdctl"] = "#!/bin/sh\nexec docker exec etcd1 etcdctl \"$@\"\n";

        var t = await TopologyDetector.DetectAsync(host, default);

        Assert.Null(t.EtcdVersion);
        Assert.Contains(t.Notes, n => n.StartsWith("etcd version unknown", StringComparison.Ordinal));
        Assert.DoesNotContain(host.Commands, c => c.StartsWith("/usr/local/bin/etcd", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_drop_in_overrides_EnvironmentFile_and_User_with_systemd_precedence()
    {
        var host = KubesprayHost();
        host.Files["/etc/systemd/system/etcd.service"] = """
            [Service]
            Type=notify
            User=root
            EnvironmentFile=/etc/etcd.env
            ExecStart=/usr/local/bin/etcd
            """;
        host.Files["/etc/systemd/system/etcd.service.d"] = "";
        host.Files["/etc/systemd/system/etcd.service.d/10-prod.conf"] = """
            [Service]
            # Reset the list, then load our own file (optional: the '-')
            EnvironmentFile=
            EnvironmentFile=-/etc/etcd-prod.env
            User=etcd
            Environment="ETCD_SNAPSHOT_COUNT=5000" ETCD_NAME=from-environment
            """;
        // The same name lower down is hidden by /etc's; a later name applies after it.
        host.Files["/usr/lib/systemd/system/etcd.service.d"] = "";
        host.Files["/usr/lib/systemd/system/etcd.service.d/10-prod.conf"] = "[Service]\nUser=nobody\n";
        host.Files["/usr/lib/systemd/system/etcd.service.d/20-limits.conf"] = "[Service]\nLimitNOFILE=65536\n";
        var prod = Fixtures.KubesprayEtcdEnv
            .Replace("ETCD_NAME=etcd1", "ETCD_NAME=etcd-prod-1", StringComparison.Ordinal)
            .Replace("ETCD_DATA_DIR=/var/lib/etcd", "ETCD_DATA_DIR=/data/etcd", StringComparison.Ordinal);
        host.Files["/etc/etcd-prod.env"] = prod;
        host.Files["/data/etcd"] = "";
        host.Files["/usr/local/bin/etcd"] = Fixtures.ElfBinary;

        var t = await TopologyDetector.DetectAsync(host, default);

        Assert.Equal(EtcdFlavor.Kubespray, t.Flavor);
        Assert.Equal(("etcd-prod-1", "/data/etcd"), (t.MemberName, t.DataDir)); // the file beats Environment= (systemd.exec)
        Assert.Equal(("/etc/etcd-prod.env", prod), (t.ConfigFile, t.ConfigText));
        Assert.Equal(("etcd", "/etc/systemd/system/etcd.service"), (t.EtcdUser, t.UnitFile));
        Assert.Contains("cat -- /usr/lib/systemd/system/etcd.service.d/20-limits.conf", host.Commands);
        Assert.DoesNotContain("cat -- /usr/lib/systemd/system/etcd.service.d/10-prod.conf", host.Commands);
        Assert.DoesNotContain("cat -- /etc/etcd.env", host.Commands); // reset by the drop-in: systemd never loads it
    }

    [Fact]
    public async Task A_required_EnvironmentFile_that_is_missing_is_said()
    {
        var host = KubesprayHost();
        host.Files["/etc/systemd/system/etcd.service"] = "[Service]\nEnvironmentFile=/etc/etcd.env\nEnvironmentFile=/etc/etcd-extra.env\nExecStart=/usr/local/bin/etcd\n";
        host.Files["/usr/local/bin/etcd"] = Fixtures.ElfBinary;
        var t = await TopologyDetector.DetectAsync(host, default);
        Assert.Contains("/etc/systemd/system/etcd.service requires EnvironmentFile=/etc/etcd-extra.env, which does not exist: systemd will not start etcd", t.Notes);
    }

    [Fact]
    public async Task Env_file_with_quotes_escapes_and_continuations_is_read_as_systemd_reads_it()
    {
        var host = KubesprayHost();
        var env = """
            # Environment file for etcd v3.5.16
            ETCD_NAME="etcd1"
            ETCD_DATA_DIR='/var/lib/etcd'
              ETCD_ADVERTISE_CLIENT_URLS = https://10.0.0.21:2379   
            ETCD_INITIAL_CLUSTER="etcd1=https://10.0.0.21:2380,\
            etcd2=https://10.0.0.22:2380"
            ETCD_INITIAL_CLUSTER_TOKEN=k8s\_etcd
            ; a comment
            ETCD_CERT_FILE=/etc/ssl/etcd/ssl/member-node1.pem
            ETCD_KEY_FILE=/etc/ssl/etcd/ssl/member-node1-key.pem
            ETCD_TRUSTED_CA_FILE=/etc/ssl/etcd/ssl/ca.pem
            ETCDCTL_CERT="/etc/ssl/etcd/ssl/node-node1.pem"
            ETCDCTL_KEY=/etc/ssl/etcd/ssl/node-node1-key.pem
            """;
        host.Files["/etc/etcd.env"] = env;
        host.Files["/etc/systemd/system/etcd.service"] = "[Service]\nEnvironmentFile=/etc/etcd.env\nExecStart=/usr/local/bin/etcd\n";
        host.Files["/usr/local/bin/etcd"] = Fixtures.ElfBinary;
        host.Files["/etc/ssl/etcd/ssl/node-node1.pem"] = "";
        host.Files["/etc/ssl/etcd/ssl/node-node1-key.pem"] = "";

        var t = await TopologyDetector.DetectAsync(host, default);

        Assert.Equal(("etcd1", "/var/lib/etcd"), (t.MemberName, t.DataDir));
        Assert.Equal(["https://10.0.0.21:2379"], t.ClientUrls);
        Assert.Equal("etcd1=https://10.0.0.21:2380,etcd2=https://10.0.0.22:2380", t.InitialCluster);
        Assert.Equal("k8s_etcd", t.InitialClusterToken);
        // The client pair the env file names for etcdctl beats the admin-<host> guess.
        Assert.Equal(("/etc/ssl/etcd/ssl/node-node1.pem", "/etc/ssl/etcd/ssl/node-node1-key.pem"), (t.Certs.ClientCert, t.Certs.ClientKey));
        Assert.Empty(t.Notes);
    }

    [Fact]
    public void Env_file_parsing_follows_systemd_and_docker_each()
    {
        const string text = "A=\"x \\\"y\\\" \\$z \\q\"\nB=a\\\n b\nC='it''s'  \n# D=1\nE = spaced  \nF=\"multi\nline\"\n";
        var systemd = EtcdEnvFile.Parse(text);
        Assert.Equal("x \"y\" $z \\q", systemd["A"]);
        Assert.Equal("a b", systemd["B"]);
        Assert.Equal("its", systemd["C"]);
        Assert.Equal("spaced", systemd["E"]);
        Assert.Equal("multi\nline", systemd["F"]);
        Assert.False(systemd.ContainsKey("D"));
        // docker's --env-file keeps every value verbatim, quotes included.
        var docker = EtcdEnvFile.ParseDocker("ETCD_NAME=\"etcd1\"\n# x=1\n  ETCD_DATA_DIR=/var/lib/etcd  \nbad key=1\n");
        Assert.Equal(("\"etcd1\"", "/var/lib/etcd  "), (docker["ETCD_NAME"], docker["ETCD_DATA_DIR"]));
        Assert.Equal(2, docker.Count);
    }

    [Fact]
    public async Task Single_dash_flags_and_sh_c_in_a_kubeadm_manifest()
    {
        var manifest = """
            apiVersion: v1
            kind: Pod
            metadata: {name: etcd, namespace: kube-system}
            spec:
              containers:
              - name: etcd
                image: registry.k8s.io/etcd:3.5.15-0
                command: ["/bin/sh", "-ec", "exec etcd -name=cp-1 -data-dir /var/lib/etcd -advertise-client-urls 'https://10.0.0.11:2379' -client-cert-auth -trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt"]
                volumeMounts:
                - {mountPath: /var/lib/etcd, name: etcd-data}
                - {mountPath: /etc/kubernetes/pki/etcd, name: etcd-certs}
              volumes:
              - {name: etcd-data, hostPath: {path: /var/lib/etcd, type: DirectoryOrCreate}}
              - {name: etcd-certs, hostPath: {path: /etc/kubernetes/pki/etcd, type: DirectoryOrCreate}}
            """;
        var host = new FakeRemoteHost("cp-1");
        host.Files["/etc/kubernetes/manifests/etcd.yaml"] = manifest;
        var t = await TopologyDetector.DetectAsync(host, default);
        Assert.Equal(("cp-1", "/var/lib/etcd"), (t.MemberName, t.DataDir));
        Assert.Equal(["https://10.0.0.11:2379"], t.ClientUrls);
        Assert.Equal("/etc/kubernetes/pki/etcd/ca.crt", t.Certs.TrustedCa);
    }

    [Fact]
    public async Task Single_dash_flags_and_sh_c_on_a_plain_unit()
    {
        var host = new FakeRemoteHost("db-1");
        host.Files["/lib/systemd/system/etcd.service"] = """
            [Service]
            User=etcd
            Environment=PEER=https://10.1.0.5:2380
            ExecStart=/bin/sh -c "exec /usr/bin/etcd -name db-1 -data-dir=/srv/etcd \
              -initial-advertise-peer-urls ${PEER} --advertise-client-urls=https://10.1.0.5:2379"
            """;
        var t = await TopologyDetector.DetectAsync(host, default);
        Assert.Equal(EtcdFlavor.Systemd, t.Flavor);
        Assert.Equal(("db-1", "/srv/etcd", "etcd"), (t.MemberName, t.DataDir, t.EtcdUser));
        Assert.Equal(["https://10.1.0.5:2380"], t.PeerUrls);
        Assert.Equal(["https://10.1.0.5:2379"], t.ClientUrls);
    }

    [Fact]
    public void Etcd_flag_parsing_matches_go_flag()
    {
        var flags = EtcdCommandLine.Flags(["-name", "m1", "--client-cert-auth", "-data-dir=/d", "--enable-v2", "--", "--ignored", "x"]);
        Assert.Equal(("m1", "true", "/d", "true"), (flags["name"], flags["client-cert-auth"], flags["data-dir"], flags["enable-v2"]));
        Assert.False(flags.ContainsKey("ignored"));
        // A boolean flag never takes the next word as its value.
        Assert.Equal("true", EtcdCommandLine.Flags(["--force-new-cluster", "stray"])["force-new-cluster"]);
    }

    [Fact]
    public async Task Missing_certificate_files_are_named()
    {
        var host = new FakeRemoteHost("cp-1");
        host.Files["/etc/kubernetes/manifests/etcd.yaml"] = Fixtures.KubeadmEtcdManifest;
        Fixtures.KubeadmFilesPresent(host);
        host.Files.Remove("/etc/kubernetes/pki/etcd/healthcheck-client.key");
        host.Files.Remove("/etc/kubernetes/pki/etcd/peer.crt");

        var t = await TopologyDetector.DetectAsync(host, default);

        Assert.Equal("certificate files named but missing on cp-1: /etc/kubernetes/pki/etcd/peer.crt, /etc/kubernetes/pki/etcd/healthcheck-client.key", Assert.Single(t.Notes));
        Assert.Single(host.Commands, c => c.StartsWith("ls -1d -- /etc/kubernetes/pki/etcd/ca.crt", StringComparison.Ordinal));
    }

    private static FakeRemoteHost BothFlavors()
    {
        var host = KubesprayHost("cp-1");
        host.Files["/etc/systemd/system/etcd.service"] = "[Service]\nEnvironmentFile=/etc/etcd.env\nExecStart=/usr/local/bin/etcd\n";
        host.Files["/usr/local/bin/etcd"] = Fixtures.ElfBinary;
        host.Files["/etc/kubernetes/manifests/etcd.yaml"] = Fixtures.KubeadmEtcdManifest;
        Fixtures.KubeadmFilesPresent(host);
        return host;
    }

    [Fact]
    public async Task Both_flavors_kubelet_running_the_manifest_wins_and_says_why()
    {
        var host = BothFlavors();
        host.Answers["systemctl is-active kubelet"] = new ProcessResult(0, "active\n", "");
        host.Answers["systemctl is-active etcd.service"] = new ProcessResult(3, "inactive\n", "");
        var t = await TopologyDetector.DetectAsync(host, default);
        Assert.Equal(EtcdFlavor.Kubeadm, t.Flavor);
        Assert.Contains("both /etc/kubernetes/manifests/etcd.yaml and /etc/etcd.env (loaded by /etc/systemd/system/etcd.service) exist; the kubeadm manifest wins: kubelet is active and runs it", t.Notes);
    }

    [Fact]
    public async Task Both_flavors_an_active_etcd_service_without_kubelet_wins_and_says_why()
    {
        var host = BothFlavors();
        host.Answers["systemctl is-active kubelet"] = new ProcessResult(3, "inactive\n", "");
        host.Answers["systemctl is-active etcd.service"] = new ProcessResult(0, "active\n", "");
        var t = await TopologyDetector.DetectAsync(host, default);
        Assert.Equal(EtcdFlavor.Kubespray, t.Flavor);
        Assert.Equal("/etc/etcd.env", t.ConfigFile);
        Assert.Contains("both /etc/kubernetes/manifests/etcd.yaml and /etc/etcd.env (loaded by /etc/systemd/system/etcd.service) exist; /etc/etcd.env wins: "
            + "etcd.service is active and kubelet is not (inactive), so nothing runs the static pod", t.Notes);
    }

    [Fact]
    public async Task Both_flavors_with_a_packaged_unit_that_does_not_load_the_env_file()
    {
        var host = new FakeRemoteHost("cp-3");
        host.Files["/etc/kubernetes/manifests/etcd.yaml"] = Fixtures.KubeadmEtcdManifest;
        Fixtures.KubeadmFilesPresent(host);
        host.Files["/etc/etcd.env"] = "ETCD_NAME=stale\nETCD_ADVERTISE_CLIENT_URLS=https://10.9.9.9:2379\n";
        host.Files["/usr/lib/systemd/system/etcd.service"] = "[Service]\nEnvironmentFile=-/etc/default/etcd\nExecStart=/usr/bin/etcd $DAEMON_ARGS\n";
        host.Files["/usr/bin/etcd"] = Fixtures.ElfBinary;
        host.Answers["systemctl is-active kubelet"] = new ProcessResult(0, "active\n", "");
        var t = await TopologyDetector.DetectAsync(host, default);
        Assert.Equal(("cp-1", EtcdFlavor.Kubeadm), (t.MemberName, t.Flavor));
        Assert.Contains("both /etc/kubernetes/manifests/etcd.yaml and /etc/etcd.env exist; the kubeadm manifest wins: kubelet is active and runs it", t.Notes);
    }

    [Fact]
    public void Shell_words_split_like_a_shell()
    {
        var commands = ShellWords.Commands("#!/bin/sh\n# c\nA=1 exec docker run \\\n  -v '/a b':/c \"--name=x\\\"y\" img \"$@\" # tail\necho done; true\n");
        Assert.Equal(["A=1", "exec", "docker", "run", "-v", "/a b:/c", "--name=x\"y", "img", "$@"], commands[0]);
        Assert.Equal(["echo", "done"], commands[1]);
        Assert.Equal(["true"], commands[2]);
    }
}
