using System.Text.Json;
using EtcdDr.IntegrationTests.Age;
using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.IntegrationTests.Lab;
using EtcdDr.Lab;
using EtcdDr.Remote;
using EtcdDr.Snapshots;
using PkiVault.Age;

namespace EtcdDr.IntegrationTests.RemoteLab;

/// <summary>
/// The orchestrator against lab masters over real sshd: discovery reads every field right,
/// snapshots are taken from the operator's side (directly, through SSH tunnels, with a master
/// down), the PKI comes off a master encrypted, and bad SSH credentials are refused clearly.
/// </summary>
public abstract class RemoteOperationsTests(RemoteLabFixture fixture)
{
    protected LabHarness Lab => fixture.Lab;
    protected abstract LabFlavor Flavor { get; }
    private bool Kubeadm => Flavor == LabFlavor.Kubeadm;

    [Fact]
    public async Task Discover_reads_every_field_from_the_real_files()
    {
        var result = await CliRunner.RunAsync("discover", "-i", fixture.Inventory, "--output", "json");
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        var masters = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(3, masters.Count);
        var t = masters.Single(m => m.GetProperty("master").GetString() == "master-2").GetProperty("topology");
        string S(string name) => t.GetProperty(name).GetString()!;
        string[] L(string name) => t.GetProperty(name).EnumerateArray().Select(e => e.GetString()!).ToArray();
        string C(string name) => t.GetProperty("certs").GetProperty(name).GetString()!;

        Assert.Equal(Kubeadm ? "kubeadm" : "kubespray", S("flavor"));
        Assert.Equal("master-2", S("memberName"));
        Assert.Equal("/var/lib/etcd", S("dataDir"));
        Assert.Equal([$"https://{Lab.Address(2)}:2380"], L("peerUrls"));
        Assert.Equal([$"https://{Lab.Address(2)}:2379"], L("clientUrls"));
        Assert.Equal(string.Join(',', Enumerable.Range(1, 3).Select(i => $"master-{i}=https://{Lab.Address(i)}:2380")), S("initialCluster"));
        Assert.True(t.GetProperty("hasKubelet").GetBoolean());
        if (Kubeadm)
        {
            Assert.Equal("/etc/kubernetes/manifests/etcd.yaml", S("configFile"));
            Assert.Equal("3.5.16", S("etcdVersion")); // from the manifest's image tag
            Assert.Equal("/etc/kubernetes/pki/etcd/ca.crt", C("trustedCa"));
            Assert.Equal("/etc/kubernetes/pki/etcd/server.crt", C("serverCert"));
            Assert.Equal("/etc/kubernetes/pki/etcd/peer.key", C("peerKey"));
            Assert.Equal("/etc/kubernetes/pki/etcd/healthcheck-client.crt", C("clientCert"));
            Assert.Equal("active", S("kubeletState"));
        }
        else
        {
            Assert.Equal("/etc/etcd.env", S("configFile"));
            Assert.Equal("3.4.23", S("etcdVersion")); // from /usr/local/bin/etcd --version
            Assert.Equal("/etc/ssl/etcd/ssl/ca.pem", C("trustedCa"));
            Assert.Equal("/etc/ssl/etcd/ssl/member-master-2.pem", C("serverCert"));
            Assert.Equal("/etc/ssl/etcd/ssl/admin-master-2.pem", C("clientCert"));
            Assert.Equal("/usr/local/bin/etcdctl", t.GetProperty("etcdctl").GetProperty("path").GetString());
        }
    }

    private static async Task AssertRestores(string snapshot, string key, string value)
    {
        await using var restored = await SnapshotRestore.RestoreAndStartAsync(snapshot);
        Assert.Equal(value, await restored.GetAsync(key));
    }

    [Fact]
    public async Task Remote_snapshot_directly_and_through_ssh_tunnels()
    {
        using (var client = Lab.Client(1, 2, 3))
            await client.PutAsync("/remote/canary", "direct", default);
        using var dir = TempDirectory.Create();

        var direct = await CliRunner.RunAsync("snapshot", "save", "-i", fixture.Inventory, "-o", dir.Combine("direct.db"), "--output", "json");
        Assert.True(direct.ExitCode == 0, direct.ToString());
        Assert.DoesNotContain("SSH tunnel", direct.Stderr);
        await AssertRestores(dir.Combine("direct.db"), "/remote/canary", "direct");

        var tunnelled = await CliRunner.RunAsync("snapshot", "save", "-i", fixture.Inventory, "--tunnel", "-o", dir.Combine("tunnel.db"), "--output", "json");
        Assert.True(tunnelled.ExitCode == 0, tunnelled.ToString());
        Assert.Contains("reached through an SSH tunnel", tunnelled.Stderr);
        // The manifest names a member, not the tunnel's local end: TLS checked the member's own name.
        using (var manifest = JsonDocument.Parse(tunnelled.Stdout))
        {
            var endpoint = manifest.RootElement.GetProperty("manifest").GetProperty("endpoint").GetString();
            Assert.Contains(endpoint, Enumerable.Range(1, 3).Select(Lab.Endpoint));
        }
        var verify = await CliRunner.RunAsync("snapshot", "verify", dir.Combine("tunnel.db"));
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    [Fact]
    public async Task Remote_snapshot_with_one_master_down()
    {
        await Lab.LabAsync("break", "stop-etcd", "--host", "master-1");
        try
        {
            await Lab.WaitDownAsync(1);
            using var dir = TempDirectory.Create();
            var result = await CliRunner.RunAsync("snapshot", "save", "-i", fixture.Inventory, "-o", dir.Combine("s.db"), "--output", "json");
            Assert.True(result.ExitCode == 0, result.ToString());
            using var json = JsonDocument.Parse(result.Stdout);
            Assert.NotEqual($"https://{Lab.Address(1)}:2379", json.RootElement.GetProperty("manifest").GetProperty("endpoint").GetString());
            // The down master is named: as a failed endpoint (Kubespray: etcd.service stopped, files in
            // place) or by discovery (kubeadm: the manifest was moved out, so there is no etcd to find).
            var failed = json.RootElement.GetProperty("failedAttempts").EnumerateArray().Select(f => f.GetString()!);
            Assert.True(failed.Any(f => f.Contains(Lab.Address(1), StringComparison.Ordinal)) || result.Stderr.Contains("master-1", StringComparison.Ordinal), result.ToString());
        }
        finally
        {
            await Lab.LabAsync("heal", "--host", "master-1");
            await Lab.WaitHealthyAsync(1);
        }
    }

    [Fact]
    public async Task Pki_backup_from_a_master_decrypts_with_age_and_matches_the_files_there()
    {
        using var dir = TempDirectory.Create();
        var identity = X25519Identity.Generate();
        File.WriteAllText(dir.Combine("ops.key"), identity + "\n");
        var archive = dir.Combine("pki.tar.age");

        var backup = await CliRunner.RunAsync("pki", "backup", "-i", fixture.Inventory, "--host", "master-2", "-o", archive, "-r", identity.Recipient.ToString()!);
        Assert.True(backup.ExitCode == 0, backup.ToString());
        Assert.Contains("master-2:/", backup.Stdout);

        var tar = dir.Combine("pki.tar");
        (await ProcessRunner.RunAsync(AgeTools.Age, ["-d", "-i", dir.Combine("ops.key"), "-o", tar, archive])).EnsureSuccess("age -d");
        var extracted = dir.CreateSubdirectory("x");
        (await ProcessRunner.RunAsync("tar", ["-xf", tar, "-C", extracted])).EnsureSuccess("tar -x");

        string[] expected = Kubeadm
            ? ["etc/kubernetes/pki/ca.key", "etc/kubernetes/pki/etcd/peer.key", "etc/kubernetes/admin.conf"]
            : ["etc/ssl/etcd/ssl/ca-key.pem", "etc/ssl/etcd/ssl/member-master-2-key.pem", "etc/etcd.env"];
        foreach (var relative in expected)
        {
            var local = Path.Combine(extracted, relative);
            Assert.True(File.Exists(local), $"{relative} is not in the archive");
            var remote = await Lab.SshOkAsync(2, $"sha256sum /{relative}");
            Assert.Equal(remote.Split(' ')[0], Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(local))));
        }
    }

    [Fact]
    public async Task A_changed_host_key_and_a_wrong_identity_are_refused_clearly()
    {
        using var dir = TempDirectory.Create();
        var inventory = InventoryFile.Load(fixture.Inventory);
        (await ProcessRunner.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", dir.Combine("other")])).EnsureSuccess("ssh-keygen");
        var otherPublic = File.ReadAllText(dir.Combine("other.pub")).Split(' ');

        // master-1's entry in known_hosts now carries some other machine's key.
        var knownHosts = File.ReadAllLines(inventory.Ssh.KnownHostsFile!)
            .Select(l => l.StartsWith($"[{Lab.Address(1)}]", StringComparison.Ordinal) ? $"{l.Split(' ')[0]} {otherPublic[0]} {otherPublic[1]}" : l);
        File.WriteAllLines(dir.Combine("known_hosts"), knownHosts);
        var mismatch = inventory with { Ssh = inventory.Ssh with { KnownHostsFile = dir.Combine("known_hosts") } };
        File.WriteAllText(dir.Combine("mismatch.yaml"), InventoryFile.Serialize(mismatch));
        var refused = await CliRunner.RunAsync("inventory", "check", "-i", dir.Combine("mismatch.yaml"), "--connect", "--host", "master-1", "--output", "table");
        Assert.True(refused.ExitCode == 4, refused.ToString());
        Assert.Contains("HostKeyMismatch", refused.Stdout);
        Assert.Contains("host key differs", refused.Stdout);

        var wrongKey = inventory with { Ssh = inventory.Ssh with { IdentityFile = dir.Combine("other") } };
        File.WriteAllText(dir.Combine("wrong-key.yaml"), InventoryFile.Serialize(wrongKey));
        var denied = await CliRunner.RunAsync("inventory", "check", "-i", dir.Combine("wrong-key.yaml"), "--connect", "--host", "master-2", "--output", "table");
        Assert.True(denied.ExitCode == 4, denied.ToString());
        Assert.Contains("AuthenticationFailed", denied.Stdout);

        var fine = await CliRunner.RunAsync("inventory", "check", "-i", fixture.Inventory, "--connect", "--output", "json");
        Assert.True(fine.ExitCode == 0, fine.ToString());
        Assert.Equal(3, JsonDocument.Parse(fine.Stdout).RootElement.GetProperty("masters").GetArrayLength());
    }

    [Fact]
    public async Task The_single_file_binary_takes_a_scheduled_snapshot_on_a_master()
    {
        var binary = RepositoryPaths.SingleFileBinary;
        var inventory = InventoryFile.Load(fixture.Inventory);
        await using var host = new OpenSshHost(inventory.Master("master-3"), inventory.Ssh);
        await host.StreamInAsync(["install", "-m", "0755", "/dev/stdin", "/usr/local/bin/etcd-dr"], RemoteRunOptions.Root,
            async (stdin, ct) => { await using var file = File.OpenRead(binary); await file.CopyToAsync(stdin, ct); }, default);
        var config = """
            cluster: lab
            destinations: [ "file:///var/lib/etcd-dr-backups" ]
            lock: { file: /var/lib/etcd-dr-backups/.lock }
            metrics: { textfile: /var/lib/etcd-dr-metrics/etcd_dr.prom }
            retention: { keepLast: 2 }
            """;
        await host.WriteFileAsync("/etc/etcd-dr.yaml", System.Text.Encoding.UTF8.GetBytes(config), UnixFileMode.UserRead | UnixFileMode.UserWrite, null, default);

        var run = await host.RunAsync(["/usr/local/bin/etcd-dr", "snapshot", "save", "--config", "/etc/etcd-dr.yaml", "--output", "table"], RemoteRunOptions.Root, default);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("saved", run.Stdout);
        var list = await host.RunAsync(["/usr/local/bin/etcd-dr", "snapshot", "list", "--from", "file:///var/lib/etcd-dr-backups", "--cluster", "lab", "--output", "json"], RemoteRunOptions.Root, default);
        Assert.True(list.ExitCode == 0, list.ToString());
        var snapshots = JsonDocument.Parse(list.Stdout).RootElement.GetProperty("snapshots");
        Assert.True(Assert.Single(snapshots.EnumerateArray()).GetProperty("verified").GetBoolean());
        var metrics = await host.RunAsync(["cat", "/var/lib/etcd-dr-metrics/etcd_dr.prom"], RemoteRunOptions.Root, default);
        Assert.Contains("etcd_dr_snapshot_last_run_success{cluster=\"lab\"} 1", metrics.Stdout);
    }
}

public sealed class KubeadmRemoteOperationsTests(RemoteKubeadmLabFixture fixture) : RemoteOperationsTests(fixture), IClassFixture<RemoteKubeadmLabFixture>
{
    protected override LabFlavor Flavor => LabFlavor.Kubeadm;
}

public sealed class KubesprayRemoteOperationsTests(RemoteKubesprayLabFixture fixture) : RemoteOperationsTests(fixture), IClassFixture<RemoteKubesprayLabFixture>
{
    protected override LabFlavor Flavor => LabFlavor.Kubespray;
}
