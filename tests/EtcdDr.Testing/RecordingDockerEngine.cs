using EtcdDr.Remote;
using EtcdDr.Remote.Docker;

namespace EtcdDr.Testing;

/// <summary>
/// A Docker engine that records every API call as one line ("inspect etcd1", "run-once NAME image=...")
/// and answers from a list of containers whose running state may follow something else (a simulated
/// master's unit). Each open of the engine is recorded too ("connect", "close"), so tests see that a
/// forward is opened and closed per step.
/// </summary>
public sealed class RecordingDockerEngine
{
    public List<string> Calls { get; } = [];
    public List<FakeContainer> Containers { get; } = [];
    public DockerEngineVersion Version { get; set; } = new("20.10.24+dfsg1", "1.41", "linux");

    /// <summary>What a one-shot container returns (and may do to the master's files before it returns).</summary>
    public Func<OneShotContainer, ProcessResult> OnRunOnce { get; set; } = _ => new ProcessResult(0, "", "");

    public List<OneShotContainer> OneShots { get; } = [];

    public string Transcript() => string.Concat(Calls.Select(c => c + "\n"));

    /// <summary>For <c>EtcdRuntimeOptions.DockerEngine</c>.</summary>
    public Task<IDockerEngine> ConnectAsync(IRemoteHost host, string socket, CancellationToken ct)
    {
        Calls.Add($"connect {host.Name} {socket}");
        return Task.FromResult<IDockerEngine>(new Session(this));
    }

    public sealed class FakeContainer(DockerContainerDetails details, Func<bool>? running = null)
    {
        public DockerContainerDetails Details { get; set; } = details;
        public bool Running => running?.Invoke() ?? Details.Running;
        public DockerContainerDetails Now
        {
            get
            {
                var running = Running; // asked once per inspect: a test may count the asks
                return Details with { Running = running, Status = running ? "running" : "exited" };
            }
        }
    }

    public static DockerContainerDetails Etcd(string name = "etcd1", string image = "quay.io/coreos/etcd:v3.4.23", bool running = true) => new(
        "0123456789ab" + new string('0', 52), name, image, "sha256:feed", ["/usr/local/bin/etcd"], ["ETCD_DATA_DIR=/var/lib/etcd"],
        [new PathBind("/etc/ssl/etcd/ssl", "/etc/ssl/etcd/ssl", false), new PathBind("/var/lib/etcd", "/var/lib/etcd", true)],
        running, running ? "running" : "exited", running ? 4242 : null, "host", "on-failure", new Dictionary<string, string>());

    private sealed class Session(RecordingDockerEngine engine) : IDockerEngine
    {
        public Task<DockerEngineVersion> VersionAsync(CancellationToken ct)
        {
            engine.Calls.Add("version");
            return Task.FromResult(engine.Version);
        }

        public Task<IReadOnlyList<DockerContainerSummary>> ListContainersAsync(CancellationToken ct)
        {
            engine.Calls.Add("list");
            return Task.FromResult<IReadOnlyList<DockerContainerSummary>>([.. engine.Containers.Select(c =>
                new DockerContainerSummary(c.Details.Id, [c.Details.Name], c.Details.Image, c.Running ? "running" : "exited", c.Details.Labels))]);
        }

        public Task<DockerContainerDetails?> InspectAsync(string nameOrId, CancellationToken ct)
        {
            engine.Calls.Add($"inspect {nameOrId}");
            return Task.FromResult(engine.Containers.FirstOrDefault(c => c.Details.Name == nameOrId || c.Details.Id == nameOrId)?.Now);
        }

        public Task<ProcessResult> ExecAsync(string container, IReadOnlyList<string> argv, CancellationToken ct)
        {
            engine.Calls.Add($"exec {container} {ShellQuote.Join(argv)}");
            return Task.FromResult(new ProcessResult(0, "", ""));
        }

        public Task<ProcessResult> RunOnceAsync(OneShotContainer spec, CancellationToken ct)
        {
            engine.Calls.Add($"run-once {spec.Name} image={spec.Image} binds={string.Join(',', spec.Binds)} env={string.Join(',', spec.Environment)} cmd={ShellQuote.Join(spec.Command)}");
            engine.OneShots.Add(spec);
            return Task.FromResult(engine.OnRunOnce(spec));
        }

        public ValueTask DisposeAsync()
        {
            engine.Calls.Add("close");
            return ValueTask.CompletedTask;
        }
    }
}
