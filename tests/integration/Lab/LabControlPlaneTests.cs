using System.Globalization;
using System.Text.Json;
using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Lab;
using EtcdDr.Remote;

namespace EtcdDr.IntegrationTests.Lab;

/// <summary>A kubeadm lab with --no-host-etcdctl, shared by <see cref="LabControlPlaneTests"/>.</summary>
public sealed class ControlPlaneLabFixture : IAsyncLifetime
{
    public LabHarness Lab { get; } = new(LabHarness.NewStateDirectory("controlplane"), TestNets.Net(113), LabFlavor.Kubeadm, 3, "--no-host-etcdctl");

    public Task InitializeAsync() => Lab.UpAsync();

    public async Task DisposeAsync() => await LabHarness.CliAsync("lab", "down", "--state", Lab.State);
}

/// <summary>
/// Issue 9, what the restore needs from the lab: stand-in control-plane static pods that write to
/// etcd and stop when their manifests move out, one-shot (restartPolicy Never) pods and the
/// stand-in crictl, masters without etcdctl/etcdutl, and a replacement master on a new address.
/// Steps run in order on one lab; the last replaces a lost master.
/// </summary>
[TestCaseOrderer(StepOrderer.Name, StepOrderer.Assembly)]
public sealed class LabControlPlaneTests(ControlPlaneLabFixture fixture) : IClassFixture<ControlPlaneLabFixture>
{
    private LabHarness Lab => fixture.Lab;
    private static readonly string[] Components = ["kube-apiserver", "kube-controller-manager", "kube-scheduler"];

    private static string LeaseKey(string component, int index) => $"/registry/leases/kube-system/{component}-master-{index}";

    private async Task<long> LeaseRevisionAsync(string component, int index)
    {
        using var client = Lab.Client();
        return (await client.GetAsync(LeaseKey(component, index), CancellationToken.None))?.ModRevision ?? 0;
    }

    private async Task<JsonElement[]> ContainersAsync(int index, string arguments)
    {
        using var json = JsonDocument.Parse(await Lab.SshOkAsync(index, $"crictl ps {arguments} -o json"));
        return [.. json.RootElement.GetProperty("containers").EnumerateArray().Select(c => c.Clone())];
    }

    private async Task<bool> Listens6443Async(int index, string address) =>
        (await Lab.SshOkAsync(index, "ss -Hltn 'sport = :6443'")).Contains(address + ":6443", StringComparison.Ordinal);

    [Fact, Step(1)]
    public async Task Stand_ins_write_their_leases_every_second_and_crictl_shows_them_running()
    {
        for (var i = 1; i <= 3; i++)
        {
            foreach (var component in Components)
                await Lab.WaitAsync(async () => await LeaseRevisionAsync(component, i) > 0, TimeSpan.FromSeconds(30), $"{component} of master-{i} writing its lease");
        }
        var before = await LeaseRevisionAsync("kube-apiserver", 1);
        await Lab.WaitAsync(async () => await LeaseRevisionAsync("kube-apiserver", 1) > before, TimeSpan.FromSeconds(5), "the lease renewed");
        using (var client = Lab.Client())
        {
            var lease = (await client.GetAsync(LeaseKey("kube-scheduler", 2), CancellationToken.None))!.Value.ToStringUtf8();
            Assert.Contains("\"renewTime\"", lease, StringComparison.Ordinal);
        }

        var version = await Lab.SshAsync(1, "crictl version");
        Assert.Equal(0, version.ExitCode);
        Assert.Contains("RuntimeName:", version.Stdout, StringComparison.Ordinal);
        Assert.Contains("RuntimeVersion:", version.Stdout, StringComparison.Ordinal);
        var running = await ContainersAsync(1, "");
        Assert.Equal(["etcd", .. Components], running.Select(c => c.GetProperty("metadata").GetProperty("name").GetString()).Order(StringComparer.Ordinal));
        Assert.All(running, c => Assert.Equal("CONTAINER_RUNNING", c.GetProperty("state").GetString()));
        var apiserver = running.Single(c => c.GetProperty("metadata").GetProperty("name").GetString() == "kube-apiserver");
        Assert.Equal("registry.k8s.io/kube-apiserver:v1.31.4", apiserver.GetProperty("image").GetProperty("image").GetString());
        Assert.Equal("kube-apiserver-master-1", apiserver.GetProperty("labels").GetProperty("io.kubernetes.pod.name").GetString());
        Assert.Equal("kube-system", apiserver.GetProperty("labels").GetProperty("io.kubernetes.pod.namespace").GetString());
        Assert.Equal(64, apiserver.GetProperty("id").GetString()!.Length);
        Assert.True(await Listens6443Async(1, Lab.Address(1)));

        // The manifest is kubeadm's: the flags a restore edits or reads are there.
        var manifest = await Lab.SshOkAsync(1, "cat /etc/kubernetes/manifests/kube-apiserver.yaml");
        foreach (var flag in new[] { $"--etcd-servers=https://{Lab.Address(1)}:2379", "--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt",
                     "--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt", "--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key",
                     $"--advertise-address={Lab.Address(1)}", "--secure-port=6443" })
            Assert.Contains("- " + flag + "\n", manifest, StringComparison.Ordinal);
    }

    [Fact, Step(2)]
    public async Task Stand_ins_stop_when_their_manifests_move_out_and_start_again_when_they_return()
    {
        await Lab.SshOkAsync(1, "mv /etc/kubernetes/manifests/kube-apiserver.yaml /etc/kubernetes/manifests/kube-controller-manager.yaml /etc/kubernetes/manifests/kube-scheduler.yaml /etc/kubernetes/");
        await Lab.WaitAsync(async () => (await ContainersAsync(1, "-a --name '^kube-'")).Length == 0, TimeSpan.FromSeconds(40), "the stand-ins of master-1 gone from crictl ps -a");
        Assert.False(await Listens6443Async(1, Lab.Address(1)));
        Assert.True(await Listens6443Async(1, Lab.Address(2))); // only master-1's went
        var stopped = await Task.WhenAll(Components.Select(c => LeaseRevisionAsync(c, 1)));
        var other = await LeaseRevisionAsync("kube-apiserver", 2);
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(stopped, await Task.WhenAll(Components.Select(c => LeaseRevisionAsync(c, 1))));
        Assert.True(await LeaseRevisionAsync("kube-apiserver", 2) > other, "master-2's API server kept writing");
        Assert.Contains("stand-in kube-apiserver stopping (SIGTERM)", await File.ReadAllTextAsync(Lab.Paths.Master("master-1").Log("kube-apiserver")), StringComparison.Ordinal);

        await Lab.SshOkAsync(1, "mv /etc/kubernetes/kube-apiserver.yaml /etc/kubernetes/kube-controller-manager.yaml /etc/kubernetes/kube-scheduler.yaml /etc/kubernetes/manifests/");
        for (var c = 0; c < Components.Length; c++)
        {
            var (component, revision) = (Components[c], stopped[c]);
            await Lab.WaitAsync(async () => await LeaseRevisionAsync(component, 1) > revision, TimeSpan.FromSeconds(30), $"{component} of master-1 writing again");
        }
        Assert.True(await Listens6443Async(1, Lab.Address(1)));
    }

    [Fact, Step(3)]
    public async Task No_host_etcdctl_hides_the_tools_yet_a_one_shot_etcd_image_pod_runs_etcdctl_once()
    {
        Assert.True(File.Exists("/usr/bin/etcdctl"), "the host has etcdctl; the masters must not see it");
        foreach (var path in new[] { "/usr/bin/etcdctl", "/usr/bin/etcdutl", "/usr/local/bin/etcdctl", "/usr/local/bin/etcdutl" })
        {
            var ls = await Lab.SshAsync(1, "ls " + path);
            Assert.True(ls.ExitCode != 0, $"ls {path} found it on master-1: {ls.Stdout}");
        }
        Assert.NotEqual(0, (await Lab.SshAsync(1, "command -v etcdctl")).ExitCode);
        Assert.True(JsonDocument.Parse(await Lab.LabAsync("status", "--output", "json")).RootElement.GetProperty("noHostEtcdctl").GetBoolean());

        var key = "/lab/one-shot-" + Guid.NewGuid().ToString("N")[..8];
        await Lab.SshOkAsync(1, $"""
            cat > /etc/kubernetes/manifests/etcdctl-once.yaml <<'EOF'
            apiVersion: v1
            kind: Pod
            metadata:
              name: etcdctl-once
              namespace: kube-system
            spec:
              hostNetwork: true
              restartPolicy: Never
              containers:
              - name: etcdctl
                image: registry.k8s.io/etcd:3.5.16-0
                command:
                - etcdctl
                - --endpoints=https://{Lab.Address(1)}:2379
                - --cacert=/etc/kubernetes/pki/etcd/ca.crt
                - --cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt
                - --key=/etc/kubernetes/pki/etcd/healthcheck-client.key
                - put
                - {key}
                - written-by-a-pod
            EOF
            cat > /etc/kubernetes/manifests/fails-once.yaml <<'EOF'
            apiVersion: v1
            kind: Pod
            metadata:
              name: fails-once
              namespace: kube-system
            spec:
              restartPolicy: Never
              containers:
              - name: fails
                image: docker.io/library/busybox:1.36
                command: ["sh", "-c", "echo ran >> /var/lib/fails-once.txt; exit 7"]
            EOF
            """);
        await Lab.WaitAsync(async () => (await ContainersAsync(1, "--state exited --name '^(etcdctl|fails)$'")).Length == 2, TimeSpan.FromSeconds(30), "both one-shot pods exiting");
        using (var client = Lab.Client())
            Assert.Equal("written-by-a-pod", (await client.GetAsync(key, CancellationToken.None))?.Value.ToStringUtf8());

        // Past the kubelet's first back-off (10 s): restartPolicy Never means no second run.
        await Task.Delay(TimeSpan.FromSeconds(13));
        var exited = await ContainersAsync(1, "-a --name '^(etcdctl|fails)$'");
        Assert.Equal(2, exited.Length);
        Assert.All(exited, c => Assert.Equal(("CONTAINER_EXITED", 0), (c.GetProperty("state").GetString(), c.GetProperty("metadata").GetProperty("attempt").GetInt32())));
        Assert.Equal("ran\n", await Lab.SshOkAsync(1, "cat /var/lib/fails-once.txt"));
        foreach (var (name, code) in new[] { ("etcdctl", 0), ("fails", 7) })
        {
            var id = exited.Single(c => c.GetProperty("metadata").GetProperty("name").GetString() == name).GetProperty("id").GetString()!;
            using var inspect = JsonDocument.Parse(await Lab.SshOkAsync(1, "crictl inspect " + id));
            var status = inspect.RootElement.GetProperty("status");
            Assert.Equal((id, name, "CONTAINER_EXITED", code), (status.GetProperty("id").GetString(), status.GetProperty("metadata").GetProperty("name").GetString(),
                status.GetProperty("state").GetString(), status.GetProperty("exitCode").GetInt32()));
            Assert.NotEqual("0001-01-01T00:00:00Z", status.GetProperty("finishedAt").GetString());
        }
        var etcdctlId = exited.Single(c => c.GetProperty("metadata").GetProperty("name").GetString() == "etcdctl").GetProperty("id").GetString()!;
        Assert.Contains("OK", await Lab.SshOkAsync(1, "crictl logs " + etcdctlId[..12]), StringComparison.Ordinal);
        var unknown = await Lab.SshAsync(1, "crictl inspect 0123456789abcdef");
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("not found", unknown.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, (await Lab.SshAsync(1, "crictl logs 0123456789abcdef")).ExitCode);

        // A pod whose manifest goes disappears with its containers.
        await Lab.SshOkAsync(1, "rm /etc/kubernetes/manifests/etcdctl-once.yaml /etc/kubernetes/manifests/fails-once.yaml");
        await Lab.WaitAsync(async () => (await ContainersAsync(1, "-a --name '^(etcdctl|fails)$'")).Length == 0, TimeSpan.FromSeconds(10), "the one-shot pods' containers gone");
    }

    [Fact, Step(4)]
    public async Task Replace_gives_a_reachable_master_on_a_new_address_with_no_pki_and_etcd_not_running()
    {
        var refused = await LabHarness.CliAsync("lab", "replace", "--host", "master-2", "--state", Lab.State);
        Assert.True(refused.Exit == 5, $"replacing a running master: exit {refused.Exit} {refused.Stderr}");

        await Lab.LabAsync("break", "lose-host", "--host", "master-2");
        var newAddress = Lab.Address(4); // the next host number after 1-3
        Assert.Contains(newAddress, await Lab.LabAsync("replace", "--host", "master-2"), StringComparison.Ordinal);

        var checks = await Lab.SshToAsync(newAddress, """
            hostname
            for f in /etc/kubernetes/pki /etc/kubernetes/admin.conf /etc/kubernetes/super-admin.conf /etc/kubernetes/controller-manager.conf /etc/kubernetes/scheduler.conf /etc/kubernetes/kubelet.conf /etc/kubernetes/manifests/etcd.yaml; do [ -e $f ] && echo "present $f"; done
            test -f /etc/kubernetes/etcd.yaml && echo parked
            echo "data entries $(ls -A /var/lib/etcd | wc -l)"
            echo "kubelet $(systemctl is-active kubelet)"
            echo "etcd containers $(crictl ps -a -q --name '^etcd$' | wc -l)"
            grep -c -- '--advertise-client-urls=https://NEW:2379' /etc/kubernetes/etcd.yaml
            """.Replace("NEW", newAddress, StringComparison.Ordinal));
        Assert.True(checks.ExitCode == 0, checks.Stdout + checks.Stderr);
        var lines = checks.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["master-2", "parked", "data entries 0", "kubelet active", "etcd containers 0", "1"], lines);
        Assert.DoesNotContain(newAddress + ":2379", await Lab.SshToAsync(newAddress, "ss -Hltn 'sport = :2379'").ContinueWith(t => t.Result.Stdout));

        var inventory = InventoryFile.Load(Lab.Paths.Inventory);
        Assert.Equal([Lab.Address(1), newAddress, Lab.Address(3)], inventory.Masters.Select(m => m.Address));
        var knownHosts = await File.ReadAllTextAsync(Lab.Paths.KnownHosts);
        Assert.Contains($"[{newAddress}]:{LabHarness.SshPort} ", knownHosts, StringComparison.Ordinal);
        Assert.DoesNotContain($"[{Lab.Address(2)}]:", knownHosts, StringComparison.Ordinal);
        var status = JsonDocument.Parse((await LabHarness.CliAsync("lab", "status", "--state", Lab.State, "--output", "json")).Stdout).RootElement;
        Assert.Equal(newAddress, status.GetProperty("masters")[1].GetProperty("address").GetString());
        Assert.Equal(newAddress, status.GetProperty("replaced").GetProperty("master-2").GetString());

        // The old master's certificates are valid on the new address (every member certificate names NET.1-9).
        var server = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(
            await File.ReadAllTextAsync(Path.Combine(Lab.Paths.Master("master-1").Upper("etc"), "kubernetes/pki/etcd/server.crt")));
        Assert.Contains($"IP Address:{newAddress}", server.Extensions["2.5.29.17"]!.Format(false), StringComparison.Ordinal);
    }
}
