using System.Text.Json;
using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.IntegrationTests.Lab;
using EtcdDr.Lab;

namespace EtcdDr.IntegrationTests.RemoteLab;

/// <summary>Labs of their own (127.O.110.x, 127.O.111.x): these tests rewrite files on the masters.</summary>
public sealed class DiscoveryKubeadmLabFixture() : RemoteLabFixture(LabFlavor.Kubeadm, TestNets.Net(110));

public sealed class DiscoveryKubesprayLabFixture() : RemoteLabFixture(LabFlavor.Kubespray, TestNets.Net(111));

/// <summary>Writes files onto lab masters over real ssh, then runs `etcd-dr discover -i` against them.</summary>
internal static class MasterFiles
{
    public static Task WriteAsync(LabHarness lab, int master, string path, string content) =>
        lab.SshOkAsync(master, $"mkdir -p {Path.GetDirectoryName(path)} && cat > {path} <<'ETCD_DR_EOF'\n{content}\nETCD_DR_EOF");

    public static async Task<Dictionary<string, JsonElement>> DiscoverAsync(string inventory)
    {
        var result = await CliRunner.RunAsync("discover", "-i", inventory, "--output", "json");
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        return json.RootElement.EnumerateArray().ToDictionary(m => m.GetProperty("master").GetString()!, m => m.GetProperty("topology").Clone());
    }

    public static string? S(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static string[] Notes(JsonElement t) => t.GetProperty("notes").EnumerateArray().Select(e => e.GetString()!).ToArray();
}

/// <summary>
/// issue 10 on a kubeadm lab: the Kubernetes docs' restore changes only the etcd-data hostPath, so
/// the host data dir differs from --data-dir; a master with /etc/etcd.env beside the manifest; a
/// certificate the manifest names gone missing.
/// </summary>
public sealed class KubeadmRealMasterDiscoveryTests(DiscoveryKubeadmLabFixture fixture) : IClassFixture<DiscoveryKubeadmLabFixture>
{
    private LabHarness Lab => fixture.Lab;

    [Fact]
    public async Task Discover_reports_the_hostPath_data_dir_both_flavors_and_missing_certificates()
    {
        var before = await MasterFiles.DiscoverAsync(fixture.Inventory);
        Assert.Equal(("/var/lib/etcd", "/var/lib/etcd"), (MasterFiles.S(before["master-2"], "dataDir"), MasterFiles.S(before["master-2"], "podDataDir")));
        Assert.DoesNotContain(MasterFiles.Notes(before["master-2"]), n => n.StartsWith("data dir", StringComparison.Ordinal));

        // master-2: restored the documented way. The data goes to a new host folder and only the
        // etcd-data volume's hostPath changes; the manifest is swapped in whole, as an operator's mv would.
        const string manifest = "/etc/kubernetes/manifests/etcd.yaml";
        await Lab.SshOkAsync(2, "cp -a /var/lib/etcd /var/lib/etcd-from-backup && "
            + $"sed 's|^\\( *\\)path: /var/lib/etcd$|\\1path: /var/lib/etcd-from-backup|' {manifest} > /etc/kubernetes/etcd.yaml.new && "
            + $"grep -q 'path: /var/lib/etcd-from-backup' /etc/kubernetes/etcd.yaml.new && mv /etc/kubernetes/etcd.yaml.new {manifest}");
        // master-3: a Kubespray env file left beside the manifest, and a certificate gone.
        await MasterFiles.WriteAsync(Lab, 3, "/etc/etcd.env", "ETCD_NAME=stale\nETCD_DATA_DIR=/var/lib/etcd-old\nETCD_ADVERTISE_CLIENT_URLS=https://10.9.9.9:2379");
        await Lab.SshOkAsync(3, "mv /etc/kubernetes/pki/etcd/healthcheck-client.key /etc/kubernetes/pki/etcd/healthcheck-client.key.aside");

        var after = await MasterFiles.DiscoverAsync(fixture.Inventory);

        var m2 = after["master-2"];
        Assert.Equal("/var/lib/etcd-from-backup", MasterFiles.S(m2, "dataDir")); // what a restore must move aside
        Assert.Equal("/var/lib/etcd", MasterFiles.S(m2, "podDataDir"));
        Assert.Contains(MasterFiles.Notes(m2), n => n.StartsWith("data dir: etcd sees /var/lib/etcd inside the pod; on the host it is /var/lib/etcd-from-backup (volume etcd-data)", StringComparison.Ordinal));
        Assert.Equal(await Lab.SshOkAsync(2, $"cat {manifest}"), MasterFiles.S(m2, "configText"));

        var m3 = after["master-3"];
        Assert.Equal(("kubeadm", "master-3", "/var/lib/etcd"), (MasterFiles.S(m3, "flavor"), MasterFiles.S(m3, "memberName"), MasterFiles.S(m3, "dataDir")));
        var notes = MasterFiles.Notes(m3);
        Assert.Contains(notes, n => n.StartsWith($"both {manifest} and /etc/etcd.env exist; the kubeadm manifest wins: kubelet is active and runs it", StringComparison.Ordinal));
        Assert.Contains("certificate files named but missing on master-3: /etc/kubernetes/pki/etcd/healthcheck-client.key", notes);

        // The table shows the host path with the pod's beside it, and the notes under it.
        var table = await CliRunner.RunAsync("discover", "-i", fixture.Inventory, "--output", "table");
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("/var/lib/etcd-from-backup (in pod: /var/lib/etcd)", table.Stdout);
        Assert.Contains("note: master-2: data dir: etcd sees /var/lib/etcd inside the pod; on the host it is /var/lib/etcd-from-backup", table.Stdout);
        Assert.Contains("note: master-3: certificate files named but missing", table.Stdout);
    }
}

/// <summary>
/// issue 10 on a Kubespray lab: master-2 becomes Kubespray's docker deployment (the unit runs
/// /usr/local/bin/etcd, a wrapper script around `docker run`); master-3 gets a drop-in that points
/// the unit at another env file (quotes, a continued line, ETCDCTL_CERT), sets User=etcd and
/// replaces ExecStart with `sh -c` and single-dash flags.
/// </summary>
public sealed class KubesprayRealMasterDiscoveryTests(DiscoveryKubesprayLabFixture fixture) : IClassFixture<DiscoveryKubesprayLabFixture>
{
    private LabHarness Lab => fixture.Lab;

    private const string Marker = "/root/etcd-wrapper-was-run";

    private static string Wrapper(int i) => $$"""
        #!/bin/bash
        echo "$@" >> {{Marker}}
        /usr/bin/docker run \
          --restart=on-failure:5 \
          --env-file=/etc/etcd.env \
          --net=host \
          -v /etc/ssl/certs:/etc/ssl/certs:ro \
          -v /etc/ssl/etcd/ssl:/etc/ssl/etcd/ssl:ro \
          -v /var/lib/etcd:/var/lib/etcd:rw \
          --memory=512M \
          --name=etcd{{i}} \
          quay.io/coreos/etcd:v3.4.23 \
          /usr/local/bin/etcd \
          "$@"
        """;

    private static string DockerUnit(int i) => $"""
        [Unit]
        Description=etcd docker wrapper
        Wants=docker.socket
        After=docker.service

        [Service]
        User=root
        PermissionsStartOnly=true
        EnvironmentFile=-/etc/etcd.env
        ExecStart=/usr/local/bin/etcd
        ExecStartPre=-/usr/bin/docker rm -f etcd{i}
        ExecStop=/usr/bin/docker stop etcd{i}
        Restart=always
        RestartSec=15s
        TimeoutStartSec=30s

        [Install]
        WantedBy=multi-user.target
        """;

    [Fact]
    public async Task Discover_reads_the_docker_wrapper_the_drop_in_and_its_env_file()
    {
        var before = await MasterFiles.DiscoverAsync(fixture.Inventory);
        var m1 = before["master-1"];
        Assert.Equal(("kubespray", "3.4.23", "/etc/etcd.env"), (MasterFiles.S(m1, "flavor"), MasterFiles.S(m1, "etcdVersion"), MasterFiles.S(m1, "configFile")));
        Assert.Equal(("/etc/systemd/system/etcd.service", "root"), (MasterFiles.S(m1, "unitFile"), MasterFiles.S(m1, "etcdUser")));
        Assert.Equal(await Lab.SshOkAsync(1, "cat /etc/etcd.env"), MasterFiles.S(m1, "configText"));
        Assert.Null(MasterFiles.S(m1, "podDataDir"));
        Assert.Empty(MasterFiles.Notes(m1));

        // master-2: Kubespray's docker deployment. The running etcd keeps running; only files change.
        await Lab.SshOkAsync(2, $"rm -f {Marker} /usr/local/bin/etcd");
        await MasterFiles.WriteAsync(Lab, 2, "/usr/local/bin/etcd", Wrapper(2));
        await Lab.SshOkAsync(2, "chmod 755 /usr/local/bin/etcd");
        await MasterFiles.WriteAsync(Lab, 2, "/etc/systemd/system/etcd.service", DockerUnit(2));

        // master-3: a drop-in pointing at another env file, written the way people write them.
        var ssl = "/etc/ssl/etcd/ssl";
        var env = (await Lab.SshOkAsync(3, "cat /etc/etcd.env")).Split('\n')
            .Where(l => !l.StartsWith("ETCD_INITIAL_CLUSTER=", StringComparison.Ordinal) && !l.StartsWith("ETCDCTL_", StringComparison.Ordinal)
                && !l.StartsWith("ETCD_NAME=", StringComparison.Ordinal));
        var initialCluster = string.Join(',', Enumerable.Range(1, 3).Select(i => $"master-{i}=https://{Lab.Address(i)}:2380"));
        var prodEnv = string.Join('\n', env) + $"""

            # quoted, escaped and continued, as systemd allows
            ETCD_NAME="master-3"
            ETCD_INITIAL_CLUSTER="{initialCluster.Replace(",master-3", ",\\\nmaster-3", StringComparison.Ordinal)}"
            ETCDCTL_CERT='{ssl}/node-master-3.pem'
            ETCDCTL_KEY={ssl}/node-master-3-key.pem
            """;
        await MasterFiles.WriteAsync(Lab, 3, "/etc/etcd-prod.env", prodEnv);
        await MasterFiles.WriteAsync(Lab, 3, "/etc/systemd/system/etcd.service.d/10-prod.conf", """
            [Service]
            User=etcd
            EnvironmentFile=
            EnvironmentFile=-/etc/etcd-prod.env
            ExecStart=
            ExecStart=/bin/sh -c "exec /usr/local/bin/etcd -initial-cluster-token k8s_etcd_dropin"
            """);
        await Lab.SshOkAsync(3, "echo ETCD_NAME=not-this-one >> /etc/etcd.env"); // the drop-in reset it: must not count

        var after = await MasterFiles.DiscoverAsync(fixture.Inventory);

        var m2 = after["master-2"];
        Assert.Equal(("kubesprayDocker", "quay.io/coreos/etcd:v3.4.23", "3.4.23", "etcd2"),
            (MasterFiles.S(m2, "flavor"), MasterFiles.S(m2, "image"), MasterFiles.S(m2, "etcdVersion"), MasterFiles.S(m2, "containerName")));
        Assert.Equal(("master-2", "/var/lib/etcd", "/var/lib/etcd"), (MasterFiles.S(m2, "memberName"), MasterFiles.S(m2, "dataDir"), MasterFiles.S(m2, "podDataDir")));
        Assert.Equal(("/etc/etcd.env", "/etc/systemd/system/etcd.service"), (MasterFiles.S(m2, "configFile"), MasterFiles.S(m2, "unitFile")));
        Assert.Contains("/usr/local/bin/etcd is a script that runs etcd with `docker run` (read, never run)", MasterFiles.Notes(m2));
        // Discovery never ran the wrapper (it would have started a container named etcd2).
        Assert.Equal("absent", (await Lab.SshOkAsync(2, $"test -e {Marker} && echo present || echo absent")).Trim());

        var m3 = after["master-3"];
        Assert.Equal(("kubespray", "master-3", "etcd"), (MasterFiles.S(m3, "flavor"), MasterFiles.S(m3, "memberName"), MasterFiles.S(m3, "etcdUser")));
        Assert.Equal(initialCluster, MasterFiles.S(m3, "initialCluster"));
        Assert.Equal("k8s_etcd_dropin", MasterFiles.S(m3, "initialClusterToken")); // -flag inside sh -c, from the drop-in
        Assert.Equal($"{ssl}/node-master-3.pem", MasterFiles.S(m3.GetProperty("certs"), "clientCert"));
        Assert.Equal(("/etc/etcd-prod.env", "/etc/systemd/system/etcd.service"), (MasterFiles.S(m3, "configFile"), MasterFiles.S(m3, "unitFile")));
        Assert.Equal(await Lab.SshOkAsync(3, "cat /etc/etcd-prod.env"), MasterFiles.S(m3, "configText"));
        Assert.Contains("etcd's settings come from /etc/etcd-prod.env and from flags on ExecStart in /etc/systemd/system/etcd.service.d/10-prod.conf, which win: "
            + "--initial-cluster-token", MasterFiles.Notes(m3));
        Assert.DoesNotContain(MasterFiles.Notes(m3), n => n.Contains("missing", StringComparison.Ordinal));

        // The members themselves never noticed.
        for (var i = 1; i <= 3; i++)
            Assert.True(await Lab.MemberHealthyAsync(i), $"master-{i} healthy after discovery");
    }
}
