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
    public async Task Discover_reads_every_field_from_the_real_files_on_every_master()
    {
        var result = await CliRunner.RunAsync("discover", "-i", fixture.Inventory, "--output", "json");
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        var masters = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(["master-1", "master-2", "master-3"], masters.Select(m => m.GetProperty("master").GetString()));
        var initialCluster = string.Join(',', Enumerable.Range(1, 3).Select(i => $"master-{i}=https://{Lab.Address(i)}:2380"));
        for (var i = 1; i <= 3; i++)
        {
            var m = masters[i - 1];
            Assert.False(m.TryGetProperty("error", out var error), $"master-{i}: {error}");
            var t = m.GetProperty("topology");
            // Nulls are left out of the JSON: an absent field reads as null here.
            string? S(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.GetString() : null;
            string[] L(string name) => t.GetProperty(name).EnumerateArray().Select(e => e.GetString()!).ToArray();
            var certs = t.GetProperty("certs");
            string? C(string name) => S(certs, name);
            var etcdctl = t.GetProperty("etcdctl");
            var etcdutl = t.GetProperty("etcdutl");

            Assert.Equal($"master-{i}", S(t, "host"));
            Assert.Equal($"master-{i}", S(t, "memberName"));
            Assert.Equal("/var/lib/etcd", S(t, "dataDir"));
            Assert.Equal([$"https://{Lab.Address(i)}:2380"], L("peerUrls"));
            Assert.Equal([$"https://{Lab.Address(i)}:2379"], L("clientUrls"));
            Assert.Equal(initialCluster, S(t, "initialCluster"));
            Assert.True(t.GetProperty("hasKubelet").GetBoolean());
            Assert.Equal("active", S(t, "kubeletState")); // the lab runs a kubelet on both flavors
            // Debian's etcd-client has etcdctl but no etcdutl, and the lab adds none. For kubeadm,
            // discovery then offers the one in the etcd image through a container CLI on the master
            // (the host's /usr/local shows through the lab's overlay, so a docker CLI there counts),
            // but only when its engine answers. These machines have a docker CLI and no engine: that
            // must come out as none, with a note saying why, not as a tool that would fail at restore.
            var notes = t.GetProperty("notes").EnumerateArray().Select(e => e.GetString()!).ToArray();
            var runtimes = (await Lab.SshAsync(i, "for d in /usr/local/bin /usr/bin /opt/bin /usr/sbin; do for t in crictl docker; do [ -e $d/$t ] && echo $t $d/$t; done; done; true"))
                .Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).OrderBy(l => l[0] == "crictl" ? 0 : 1).FirstOrDefault();
            var answers = runtimes is not null && (await Lab.SshAsync(i, $"{runtimes[1]} version >/dev/null 2>&1")).ExitCode == 0;
            if (Kubeadm && runtimes is not null && answers)
            {
                Assert.Equal((runtimes[0], runtimes[1], "registry.k8s.io/etcd:3.4.23-0"), (S(etcdutl, "kind"), S(etcdutl, "path"), S(etcdutl, "image")));
                Assert.Empty(notes);
            }
            else
            {
                Assert.Equal(("none", null), (S(etcdutl, "kind"), S(etcdutl, "path")));
                if (Kubeadm && runtimes is not null)
                    Assert.StartsWith($"{runtimes[1]} is installed but its engine does not answer (`{runtimes[1]} version", Assert.Single(notes));
                else
                    Assert.Empty(notes);
            }
            string[] certPaths;
            if (Kubeadm)
            {
                const string pki = "/etc/kubernetes/pki/etcd";
                Assert.Equal("kubeadm", S(t, "flavor"));
                Assert.Equal("/etc/kubernetes/manifests/etcd.yaml", S(t, "configFile"));
                Assert.Null(S(t, "initialClusterToken")); // kubeadm writes no --initial-cluster-token
                Assert.Equal("registry.k8s.io/etcd:3.4.23-0", S(t, "image"));
                Assert.Equal("3.4.23", S(t, "etcdVersion")); // from the manifest's image tag, which names what the lab runs
                certPaths = [$"{pki}/ca.crt", $"{pki}/server.crt", $"{pki}/server.key", $"{pki}/ca.crt", $"{pki}/peer.crt", $"{pki}/peer.key",
                    $"{pki}/healthcheck-client.crt", $"{pki}/healthcheck-client.key"];
                // The host's /usr/bin/etcdctl shows through the master's /usr (docs/lab.md).
                Assert.Equal(("host", "/usr/bin/etcdctl"), (S(etcdctl, "kind"), S(etcdctl, "path")));
            }
            else
            {
                const string ssl = "/etc/ssl/etcd/ssl";
                Assert.Equal("kubespray", S(t, "flavor"));
                Assert.Equal("/etc/etcd.env", S(t, "configFile"));
                Assert.Equal("k8s_etcd", S(t, "initialClusterToken"));
                Assert.Null(S(t, "image"));
                Assert.Equal("3.4.23", S(t, "etcdVersion")); // from /etc/etcd.env's "# Environment file for etcd v3.4.23"; etcd itself is never run
                certPaths = [$"{ssl}/ca.pem", $"{ssl}/member-master-{i}.pem", $"{ssl}/member-master-{i}-key.pem", $"{ssl}/ca.pem",
                    $"{ssl}/member-master-{i}.pem", $"{ssl}/member-master-{i}-key.pem", $"{ssl}/admin-master-{i}.pem", $"{ssl}/admin-master-{i}-key.pem"];
                Assert.Equal(("host", "/usr/local/bin/etcdctl"), (S(etcdctl, "kind"), S(etcdctl, "path")));
            }
            Assert.Equal(certPaths, new[] { "trustedCa", "serverCert", "serverKey", "peerTrustedCa", "peerCert", "peerKey", "clientCert", "clientKey" }.Select(C));
            // Every path discovery reported is really there on that master (and the tools run).
            var present = await Lab.SshOkAsync(i, $"ls -1 {string.Join(' ', certPaths.Distinct())} {S(etcdctl, "path")} && {S(etcdctl, "path")} version");
            Assert.All(certPaths, p => Assert.Contains(p + "\n", present));
            Assert.Contains("etcdctl version: 3.4.23", present);
        }
    }

    [Fact]
    public async Task Discover_reports_an_unreachable_master_and_still_finds_the_others()
    {
        using var dir = TempDirectory.Create();
        var inventory = InventoryFile.Load(fixture.Inventory);
        // Nothing listens on .9: a closed port on loopback, refused at once.
        var withGhost = inventory with { Masters = [.. inventory.Masters, new MasterHost("ghost", Lab.Address(9))] };
        File.WriteAllText(dir.Combine("ghost.yaml"), InventoryFile.Serialize(withGhost));
        var result = await CliRunner.RunAsync("discover", "-i", dir.Combine("ghost.yaml"), "--output", "json");
        Assert.True(result.ExitCode == 6, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        var byName = json.RootElement.EnumerateArray().ToDictionary(m => m.GetProperty("master").GetString()!);
        Assert.All(Enumerable.Range(1, 3), i => Assert.True(byName[$"master-{i}"].TryGetProperty("topology", out _), result.ToString()));
        var error = byName["ghost"].GetProperty("error").GetString()!;
        Assert.StartsWith("ghost: cannot reach the host over SSH", error);
        Assert.Contains("Connection refused", error);
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
    public async Task Remote_snapshot_falls_back_to_ssh_tunnels_when_2379_is_blocked_from_the_operator()
    {
        // Block port 2379 of every master for everyone but that master's own processes (its sshd
        // makes the tunnel's far end), like `lab break cut-off` but for the client port only.
        var cgroup = LabCgroup.For(Lab.State);
        Assert.True(cgroup is not null, "no cgroup2 mount: the lab cannot tell the master's traffic from the operator's");
        var rules = Enumerable.Range(1, 3).Select(i => new[]
        {
            "OUTPUT", "-d", Lab.Address(i) + "/32", "-p", "tcp", "--dport", "2379", "-m", "cgroup", "!", "--path", cgroup!.RelativePath($"master-{i}"),
            "-m", "comment", "--comment", "etcd-dr test: operator cut from 2379", "-j", "REJECT", "--reject-with", "tcp-reset",
        }).ToList();
        using (var client = Lab.Client(1, 2, 3))
            await client.PutAsync("/remote/tunnel-canary", "fallback", default);
        try
        {
            foreach (var rule in rules)
                (await ProcessRunner.RunAsync("iptables", ["-w", "5", "-I", .. rule])).EnsureSuccess("iptables -I");
            Assert.False(await Lab.MemberHealthyAsync(1)); // the block works: no direct route to etcd
            Assert.True((await Lab.SshAsync(1, "true")).Succeeded); // and SSH still does

            using var dir = TempDirectory.Create();
            var result = await CliRunner.RunAsync("snapshot", "save", "-i", fixture.Inventory, "-o", dir.Combine("s.db"), "--output", "json");
            Assert.True(result.ExitCode == 0, result.ToString());
            foreach (var i in Enumerable.Range(1, 3))
                Assert.Contains($"master-{i}: {Lab.Address(i)}:2379 is reached through an SSH tunnel", result.Stderr);
            await AssertRestores(dir.Combine("s.db"), "/remote/tunnel-canary", "fallback");
        }
        finally
        {
            foreach (var rule in rules)
                await ProcessRunner.RunAsync("iptables", ["-w", "5", "-D", .. rule]);
        }
        Assert.True(await Lab.MemberHealthyAsync(1));
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
        var backup = await PkiBackupMatchesTheMasterAsync(2);
        Assert.DoesNotContain("discovery could not tell", backup.Stderr);
    }

    [Fact]
    public async Task Pki_backup_without_flavor_works_on_a_master_whose_etcd_is_stopped()
    {
        await Lab.LabAsync("break", "stop-etcd", "--host", "master-3");
        try
        {
            await Lab.WaitDownAsync(3);
            var backup = await PkiBackupMatchesTheMasterAsync(3);
            // kubeadm: the manifest is parked, so discovery cannot say and the files decide.
            // Kubespray: /etc/etcd.env still names the member, so discovery says it as usual.
            if (Kubeadm)
                Assert.Contains("taking the kubeadm set because /etc/kubernetes/pki exists", backup.Stderr);
            else
                Assert.DoesNotContain("discovery could not tell", backup.Stderr);
        }
        finally
        {
            await Lab.LabAsync("heal", "--host", "master-3");
            await Lab.WaitHealthyAsync(3);
        }
    }

    /// <summary>`pki backup --host master-N` (flavor left to the tool), decrypted with the real age CLI and compared with the master's files.</summary>
    private async Task<CliRunner.CliResult> PkiBackupMatchesTheMasterAsync(int index)
    {
        using var dir = TempDirectory.Create();
        var identity = X25519Identity.Generate();
        File.WriteAllText(dir.Combine("ops.key"), identity + "\n");
        var archive = dir.Combine("pki.tar.age");

        var backup = await CliRunner.RunAsync("pki", "backup", "-i", fixture.Inventory, "--host", $"master-{index}", "-o", archive, "-r", identity.Recipient.ToString()!);
        Assert.True(backup.ExitCode == 0, backup.ToString());
        Assert.Contains($"master-{index}:/", backup.Stdout);
        Assert.Contains(Kubeadm ? "[kubeadm]" : "[kubespray]", backup.Stdout);

        var tar = dir.Combine("pki.tar");
        (await ProcessRunner.RunAsync(AgeTools.Age, ["-d", "-i", dir.Combine("ops.key"), "-o", tar, archive])).EnsureSuccess("age -d");
        var extracted = dir.CreateSubdirectory("x");
        (await ProcessRunner.RunAsync("tar", ["-xf", tar, "-C", extracted])).EnsureSuccess("tar -x");

        string[] expected = Kubeadm
            ? ["etc/kubernetes/pki/ca.key", "etc/kubernetes/pki/etcd/peer.key", "etc/kubernetes/admin.conf"]
            : ["etc/ssl/etcd/ssl/ca-key.pem", $"etc/ssl/etcd/ssl/member-master-{index}-key.pem", "etc/etcd.env"];
        var remote = (await Lab.SshOkAsync(index, "sha256sum " + string.Join(' ', expected.Select(r => "/" + r))))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split("  ")).ToDictionary(f => f[1].TrimStart('/'), f => f[0]);
        foreach (var relative in expected)
        {
            var local = Path.Combine(extracted, relative);
            Assert.True(File.Exists(local), $"{relative} is not in the archive");
            Assert.Equal(remote[relative], Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(local))));
        }
        return backup;
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
