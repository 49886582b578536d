using System.Net;
using System.Text.Json;
using EtcdDr.Lab;
using EtcdDr.Topology;

namespace EtcdDr.Tests.Lab;

/// <summary>Issue 9's lab pieces that need no namespaces: manifests, image mapping, restart policy, crictl, replacement addresses.</summary>
public sealed class LabControlPlaneUnitTests
{
    private static readonly LabMaster Master1 = new("master-1", IPAddress.Parse("127.0.100.1"));
    private static readonly LabSpec Spec = new("/tmp/etcd-dr-lab", LabFlavor.Kubeadm, 3, "127.0.100", 2222);

    [Fact]
    public void Control_plane_manifests_carry_kubeadms_image_and_flags()
    {
        var apiserver = StaticPodManifest.Parse(ControlPlaneManifests.ApiServerManifest(Master1), "kube-apiserver.yaml");
        Assert.Equal(("kube-apiserver", "kube-apiserver", "registry.k8s.io/kube-apiserver:v1.31.4"), (apiserver.PodName, apiserver.ContainerName, apiserver.Image));
        Assert.Equal("kube-apiserver", apiserver.Command[0]);
        Assert.Equal("https://127.0.100.1:2379", apiserver.Flag("etcd-servers"));
        Assert.Equal("/etc/kubernetes/pki/apiserver-etcd-client.crt", apiserver.Flag("etcd-certfile"));
        Assert.Equal("/etc/kubernetes/pki/apiserver-etcd-client.key", apiserver.Flag("etcd-keyfile"));
        Assert.Equal("/etc/kubernetes/pki/etcd/ca.crt", apiserver.Flag("etcd-cafile"));
        Assert.Equal("127.0.100.1", apiserver.Flag("advertise-address"));
        Assert.Equal("6443", apiserver.Flag("secure-port"));
        var manager = StaticPodManifest.Parse(ControlPlaneManifests.ControllerManagerManifest(), "kube-controller-manager.yaml");
        Assert.Equal(("kube-controller-manager", "registry.k8s.io/kube-controller-manager:v1.31.4", "/etc/kubernetes/controller-manager.conf"),
            (manager.Command[0], manager.Image, manager.Flag("kubeconfig")));
        var scheduler = StaticPodManifest.Parse(ControlPlaneManifests.SchedulerManifest(), "kube-scheduler.yaml");
        Assert.Equal(("kube-scheduler", "/etc/kubernetes/scheduler.conf"), (scheduler.Command[0], scheduler.Flag("kubeconfig")));
    }

    [Theory]
    [InlineData("registry.k8s.io/etcd:3.5.16-0", true)]
    [InlineData("quay.io/coreos/etcd:v3.5.9", true)]
    [InlineData("gcr.io/etcd-development/etcd@sha256:0123", true)]
    [InlineData("etcd", true)]
    [InlineData("registry.k8s.io/kube-apiserver:v1.31.4", false)]
    [InlineData("example.com/etcd-backup:1", false)]
    [InlineData(null, false)]
    public void Etcd_images_are_recognised_by_their_repository_name(string? image, bool expected) =>
        Assert.Equal(expected, PodRuntime.IsEtcdImage(image));

    [Theory]
    [InlineData("spec:\n  restartPolicy: Never\n  containers: []\n", "Never")]
    [InlineData("spec:\n  restartPolicy: OnFailure\n", "OnFailure")]
    [InlineData("spec:\n  containers: []\n", "Always")]
    public void Restart_policy_is_read_from_the_pod_spec(string yaml, string expected) =>
        Assert.Equal(expected, PodRuntime.RestartPolicyOf("apiVersion: v1\nkind: Pod\n" + yaml));

    [Fact]
    public void The_etcd_images_tools_come_from_STATE_bin_and_control_plane_images_from_the_stand_in()
    {
        using var temp = new TempDir();
        var bin = Directory.CreateDirectory(temp.File("bin")).FullName;
        File.WriteAllText(Path.Combine(bin, "etcdctl"), "#!/bin/sh\n");
        File.WriteAllText(Path.Combine(bin, "etcdutl"), ""); // an unbound mount point: not usable
        var runtime = new PodRuntime(new MasterPaths(temp.File("m")), bin, new Dictionary<string, string>());
        static StaticPodManifest Pod(string image, params string[] command) => new("p", "c", image, command, new Dictionary<string, string>(), new Dictionary<string, string>());

        var etcdctl = runtime.Resolve(Pod("registry.k8s.io/etcd:3.5.16-0", "/usr/local/bin/etcdctl", "get", "x"));
        Assert.Equal(Path.Combine(bin, "etcdctl"), etcdctl.Program);
        Assert.Equal(["get", "x"], etcdctl.Arguments);
        var standIn = runtime.Resolve(Pod("registry.k8s.io/kube-scheduler:v1.31.4", "kube-scheduler", "--kubeconfig=/etc/kubernetes/scheduler.conf"));
        Assert.Equal(["lab", "standin", "kube-scheduler", "--", "--kubeconfig=/etc/kubernetes/scheduler.conf"], standIn.Arguments.SkipWhile(a => a != "lab"));
        // etcdutl is not bound there (Debian's etcd 3.4 has none), so the host's PATH decides.
        Assert.Throws<DrException>(() => runtime.Resolve(Pod("registry.k8s.io/etcd:3.5.16-0", "etcdutl-that-does-not-exist")));
    }

    [Fact]
    public async Task Crictl_lists_inspects_and_shows_logs_of_real_containers_with_crictls_shapes_and_exit_codes()
    {
        using var temp = new TempDir();
        var runtime = new PodRuntime(new MasterPaths(temp.Path), temp.File("bin"), new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" });
        var crictl = new LabCrictl(runtime);
        var done = Start(runtime, temp, "done", "echo finished; exit 3");
        var running = Start(runtime, temp, "sleeper", "exec sleep 30");
        try
        {
            await done.Process!.Exited.WaitAsync(TimeSpan.FromSeconds(10));
            await WaitUntil(() => done.Containers[0].ExitCode is not null);

            Assert.Equal(0, crictl.Handle(["version"]).Exit);
            var runningOnly = JsonDocument.Parse(crictl.Handle(["ps", "-o", "json"]).Stdout).RootElement.GetProperty("containers");
            Assert.Equal(["sleeper"], runningOnly.EnumerateArray().Select(c => c.GetProperty("metadata").GetProperty("name").GetString()));
            var all = JsonDocument.Parse(crictl.Handle(["ps", "-a", "-o", "json"]).Stdout).RootElement.GetProperty("containers").EnumerateArray().ToList();
            Assert.Equal(2, all.Count);
            var exited = crictl.Handle(["ps", "--state", "exited", "-q"]);
            Assert.Equal(done.Containers[0].Id + "\n", exited.Stdout);
            Assert.Equal(running.Containers[0].Id + "\n", crictl.Handle(["ps", "-a", "-q", "--name", "^slee"]).Stdout);

            var status = JsonDocument.Parse(crictl.Handle(["inspect", done.Containers[0].Id[..10]]).Stdout).RootElement.GetProperty("status");
            Assert.Equal(("CONTAINER_EXITED", 3, "done"), (status.GetProperty("state").GetString(), status.GetProperty("exitCode").GetInt32(), status.GetProperty("metadata").GetProperty("name").GetString()));
            Assert.Contains("finished\n", crictl.Handle(["logs", done.Containers[0].Id]).Stdout, StringComparison.Ordinal);

            var unknown = crictl.Handle(["inspect", "ffffffffffff"]);
            Assert.Equal(1, unknown.Exit);
            Assert.Contains("not found", unknown.Stderr, StringComparison.Ordinal);
            Assert.Equal(1, crictl.Handle(["logs", "ffffffffffff"]).Exit);
            Assert.Equal(1, crictl.Handle(["exec", running.Containers[0].Id, "sh"]).Exit);
            Assert.Equal(1, crictl.Handle(["ps", "--state", "paused"]).Exit);
        }
        finally
        {
            await PodRuntime.StopAsync(running, CancellationToken.None);
        }
    }

    private static PodRuntime.Pod Start(PodRuntime runtime, TempDir temp, string name, string script)
    {
        var manifest = new StaticPodManifest(name, name, "docker.io/library/busybox:1.36", ["/bin/sh", "-c", script], new Dictionary<string, string>(), new Dictionary<string, string>());
        var pod = new PodRuntime.Pod(temp.File(name + ".yaml"), "hash", manifest, "Never");
        lock (runtime.Sync)
            runtime.Pods[pod.File] = pod;
        runtime.Run(pod);
        return pod;
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++)
            await Task.Delay(50);
        Assert.True(condition());
    }

    [Fact]
    public void Replacement_address_defaults_to_the_next_host_number_and_stays_within_the_certificates()
    {
        var master2 = Spec.Master("master-2");
        Assert.Equal(IPAddress.Parse("127.0.100.4"), LabController.ChooseReplacementAddress(Spec, master2, null));
        var moved = Spec with { Replaced = new Dictionary<string, string> { ["master-2"] = "127.0.100.4" } };
        Assert.Equal(["127.0.100.1", "127.0.100.4", "127.0.100.3"], moved.Masters.Select(m => m.Address.ToString()));
        Assert.Contains("master-2=https://127.0.100.4:2380", moved.InitialCluster, StringComparison.Ordinal);
        Assert.Equal(IPAddress.Parse("127.0.100.5"), LabController.ChooseReplacementAddress(moved, moved.Master("master-2"), null));
        Assert.Equal(IPAddress.Parse("127.0.100.9"), LabController.ChooseReplacementAddress(Spec, master2, "127.0.100.9"));
        Assert.Equal(FailureKind.Usage, Assert.Throws<DrException>(() => LabController.ChooseReplacementAddress(Spec, master2, "127.0.100.10")).Kind);
        Assert.Equal(FailureKind.Usage, Assert.Throws<DrException>(() => LabController.ChooseReplacementAddress(Spec, master2, "127.0.101.5")).Kind);
        Assert.Equal(FailureKind.Refused, Assert.Throws<DrException>(() => LabController.ChooseReplacementAddress(Spec, master2, "127.0.100.3")).Kind);
        var full = Spec with { Replaced = new Dictionary<string, string> { ["master-2"] = "127.0.100.9" } };
        Assert.Equal(FailureKind.Refused, Assert.Throws<DrException>(() => LabController.ChooseReplacementAddress(full, full.Master("master-2"), null)).Kind);
    }

    [Fact]
    public void Member_certificates_name_every_host_number_of_the_net()
    {
        using var pki = LabPki.Create(LabFlavor.Kubeadm);
        using var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(pki.IssueEtcdMember(Master1, LabCertificatePurpose.Server).CertificatePem);
        var sans = certificate.Extensions["2.5.29.17"]!.Format(false);
        foreach (var host in Enumerable.Range(1, 9))
            Assert.Contains($"IP Address:127.0.100.{host}", sans, StringComparison.Ordinal);
    }

    [Fact]
    public void No_host_etcdctl_is_for_kubeadm_only()
    {
        Assert.Empty((Spec with { NoHostEtcdctl = true }).Problems());
        Assert.Contains((Spec with { Flavor = LabFlavor.Kubespray, NoHostEtcdctl = true }).Problems(), p => p.Contains("--no-host-etcdctl", StringComparison.Ordinal));
    }
}
