using EtcdDr.Remote;
using EtcdDr.Testing;
using EtcdDr.Topology;

namespace EtcdDr.Tests.Topology;

/// <summary>etcdctl/etcdutl from the etcd image are offered only through a container engine that answers.</summary>
public class ContainerEngineTests
{
    private static FakeRemoteHost KubeadmMaster()
    {
        var host = new FakeRemoteHost("cp-1");
        host.Files["/etc/kubernetes/manifests/etcd.yaml"] = Fixtures.KubeadmEtcdManifest;
        Fixtures.KubeadmFilesPresent(host);
        return host;
    }

    [Fact]
    public async Task A_stray_docker_cli_without_an_engine_is_not_offered()
    {
        var host = KubeadmMaster();
        host.Files["/usr/local/bin/docker"] = "";
        host.Answers["/usr/local/bin/docker version --format '{{.Server.Version}}'"] = new ProcessResult(1, "\n",
            "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n");

        var t = await TopologyDetector.DetectAsync(host, default);

        Assert.Equal(EtcdTool.None, t.Etcdctl);
        Assert.Equal(EtcdTool.None, t.Etcdutl);
        var note = Assert.Single(t.Notes);
        Assert.Equal("/usr/local/bin/docker is installed but its engine does not answer (`/usr/local/bin/docker version --format '{{.Server.Version}}'` exited 1: "
            + "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?); etcdctl/etcdutl from the etcd image are not offered through it", note);
    }

    [Fact]
    public async Task Kubeadm_prefers_crictl_even_when_docker_answers_too()
    {
        var host = KubeadmMaster();
        Fixtures.AnsweringDocker(host);
        Fixtures.AnsweringCrictl(host, "/usr/local/bin/crictl");

        var t = await TopologyDetector.DetectAsync(host, default);

        Assert.Equal(new EtcdTool("crictl", "/usr/local/bin/crictl", "registry.k8s.io/etcd:3.5.15-0"), t.Etcdutl);
        Assert.Empty(t.Notes);
        Assert.DoesNotContain(host.Commands, c => c.StartsWith("/usr/bin/docker", StringComparison.Ordinal)); // no need to ask
    }

    [Fact]
    public async Task A_dead_crictl_falls_back_to_a_docker_that_answers_and_says_so()
    {
        var host = KubeadmMaster();
        host.Files["/usr/bin/crictl"] = ""; // not answering: the fake's default is exit 127
        Fixtures.AnsweringDocker(host);

        var t = await TopologyDetector.DetectAsync(host, default);

        Assert.Equal(new EtcdTool("docker", "/usr/bin/docker", "registry.k8s.io/etcd:3.5.15-0"), t.Etcdctl);
        Assert.StartsWith("/usr/bin/crictl is installed but its engine does not answer (`/usr/bin/crictl version` exited 127", Assert.Single(t.Notes));
    }

    [Fact]
    public async Task An_engine_that_hangs_counts_as_not_answering()
    {
        var host = new HangingVersionHost(KubeadmMaster());
        host.Inner.Files["/usr/bin/crictl"] = "";

        var t = await TopologyDetector.DetectAsync(host, default);

        Assert.Equal(EtcdTool.None, t.Etcdctl);
        Assert.Equal("/usr/bin/crictl is installed but its engine does not answer (`/usr/bin/crictl version` gave no answer within 10 s); "
            + "etcdctl/etcdutl from the etcd image are not offered through it", Assert.Single(t.Notes));
        Assert.Equal(ContainerEngineProbe.Timeout, host.VersionTimeout);
    }

    [Fact]
    public async Task Host_binaries_need_no_engine()
    {
        var host = KubeadmMaster();
        host.Files["/usr/bin/etcdctl"] = "";
        host.Files["/usr/bin/etcdutl"] = "";
        host.Files["/usr/local/bin/docker"] = "";

        var t = await TopologyDetector.DetectAsync(host, default);

        Assert.Equal(new EtcdTool("host", "/usr/bin/etcdutl"), t.Etcdutl);
        Assert.Empty(t.Notes);
        Assert.DoesNotContain(host.Commands, c => c.Contains(" version", StringComparison.Ordinal));
    }

    /// <summary>Times out the engine's version command the way OpenSshHost does.</summary>
    private sealed class HangingVersionHost(FakeRemoteHost inner) : IRemoteHost
    {
        public FakeRemoteHost Inner => inner;
        public TimeSpan? VersionTimeout { get; private set; }
        public string Name => inner.Name;

        public Task<ProcessResult> RunAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, CancellationToken ct)
        {
            if (argv is [_, "version", ..])
            {
                VersionTimeout = options?.Timeout;
                throw new RemoteException(Name, RemoteFailure.TimedOut, "timed out");
            }
            return inner.RunAsync(argv, options, ct);
        }

        public Task StreamOutAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, Func<Stream, CancellationToken, Task> stdout, CancellationToken ct) =>
            inner.StreamOutAsync(argv, options, stdout, ct);

        public Task StreamInAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, Func<Stream, CancellationToken, Task> stdin, CancellationToken ct) =>
            inner.StreamInAsync(argv, options, stdin, ct);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
