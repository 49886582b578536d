using EtcdDr.Topology;
using System.Security.Cryptography;
using System.Text;
using YamlDotNet.RepresentationModel;

namespace EtcdDr.Lab;

/// <summary>One run of a pod's container, what `crictl ps`/`inspect`/`logs` show.</summary>
public sealed class LabContainer(string id, string podSandboxId, string name, string? image, int attempt, SupervisedProcess process, string logFile, long logStart)
{
    public string Id { get; } = id;
    public string PodSandboxId { get; } = podSandboxId;
    public string Name { get; } = name;
    public string? Image { get; } = image;
    public int Attempt { get; } = attempt;
    public SupervisedProcess Process { get; } = process;
    public DateTimeOffset CreatedAt { get; } = process.StartedAt;
    public string LogFile { get; } = logFile;
    public long LogStart { get; } = logStart;
    public long? LogEnd { get; private set; }
    public DateTimeOffset? FinishedAt { get; private set; }
    public int? ExitCode { get; private set; }
    public bool Running => ExitCode is null;

    public void MarkExited(int code, long logEnd)
    {
        LogEnd = logEnd;
        FinishedAt = DateTimeOffset.UtcNow;
        ExitCode = code;
    }
}

/// <summary>
/// The lab's stand-in for a container runtime: static pods as plain processes of the master's init.
/// They outlive the kubelet, as containers do when kubelet stops, and a kubelet started again
/// adopts them. The "image" maps to a program: the etcd image's etcd, etcdctl and etcdutl to the
/// host's binaries (through STATE/bin, which the init binds to them before it hides /usr/bin's
/// tools with --no-host-etcdctl), kube-apiserver, kube-controller-manager and kube-scheduler to
/// `etcd-dr lab standin`, anything else to the host program of that name. Every hostPath volume
/// maps to the same path, because the pod runs in the master's own mount namespace.
/// </summary>
public sealed class PodRuntime(MasterPaths paths, string binDirectory, IReadOnlyDictionary<string, string> baseEnvironment)
{
    public static readonly TimeSpan InitialBackoff = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(30);
    public static readonly IReadOnlyList<string> EtcdTools = ["etcd", "etcdctl", "etcdutl"];

    /// <summary>Containers kept per pod: the current one and the last dead one, as kubelet's garbage collector keeps.</summary>
    private const int KeptContainers = 2;

    public sealed class Pod(string file, string hash, StaticPodManifest manifest, string restartPolicy)
    {
        public string File { get; } = file;
        public string Hash { get; } = hash;
        public StaticPodManifest Manifest { get; } = manifest;
        public string RestartPolicy { get; } = restartPolicy;
        public string SandboxId { get; } = NewId();
        public List<LabContainer> Containers { get; } = [];
        public SupervisedProcess? Process => Containers.Count == 0 ? null : Containers[^1].Process;
        public TimeSpan Backoff { get; set; } = InitialBackoff;
        public DateTimeOffset NotBefore { get; set; }
        public int Restarts { get; set; }
        public bool Running => Process is { HasExited: false };

        /// <summary>restartPolicy Never, or OnFailure after exit 0: the kubelet leaves the dead container be.</summary>
        public bool Finished => Containers.Count > 0 && Containers[^1].ExitCode is { } code && (RestartPolicy == "Never" || RestartPolicy == "OnFailure" && code == 0);
    }

    public Dictionary<string, Pod> Pods { get; } = [];
    public object Sync { get; } = new();

    public Pod? Find(string containerName)
    {
        lock (Sync)
            return Pods.Values.FirstOrDefault(p => p.Manifest.ContainerName == containerName);
    }

    /// <summary>Every container of every pod the runtime knows, oldest first.</summary>
    public IReadOnlyList<(Pod Pod, LabContainer Container)> Containers()
    {
        lock (Sync)
            return [.. Pods.Values.SelectMany(p => p.Containers.Select(c => (p, c))).OrderBy(x => x.c.CreatedAt)];
    }

    public void Run(Pod pod)
    {
        var (program, arguments) = Resolve(pod.Manifest);
        var env = new Dictionary<string, string>(baseEnvironment);
        if (IsEtcdImage(pod.Manifest.Image))
            env["PATH"] = binDirectory + ":" + env.GetValueOrDefault("PATH", "/usr/bin:/bin");
        foreach (var (k, v) in pod.Manifest.Environment)
            env[k] = v;
        var log = paths.Log(pod.Manifest.ContainerName);
        var logStart = LogLength(log);
        var process = SupervisedProcess.Start(program, arguments, env, log);
        var container = new LabContainer(NewId(), pod.SandboxId, pod.Manifest.ContainerName, pod.Manifest.Image,
            pod.Containers.Count == 0 ? 0 : pod.Containers[^1].Attempt + 1, process, log, logStart);
        process.Exited.ContinueWith(t => container.MarkExited(t.Result, LogLength(log)), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        lock (Sync)
        {
            pod.Containers.Add(container);
            while (pod.Containers.Count > KeptContainers)
                pod.Containers.RemoveAt(0);
        }
    }

    /// <summary>The program and arguments that stand in for the container's image and command.</summary>
    public (string Program, IReadOnlyList<string> Arguments) Resolve(StaticPodManifest manifest)
    {
        var command = manifest.Command;
        var name = Path.GetFileName(command[0]);
        if (ControlPlaneManifests.Components.Contains(name))
        {
            var self = SelfInvocation.Argv();
            return (self[0], [.. self.Skip(1), "lab", "standin", name, "--", .. command.Skip(1)]);
        }
        if (IsEtcdImage(manifest.Image) && EtcdTools.Contains(name))
        {
            var bound = Path.Combine(binDirectory, name);
            if (File.Exists(bound) && new FileInfo(bound).Length > 0)
                return (bound, [.. command.Skip(1)]);
        }
        return (command[0].Contains('/', StringComparison.Ordinal) ? command[0] : LabTools.Require(command[0]), [.. command.Skip(1)]);
    }

    /// <summary>registry.k8s.io/etcd:3.5.16-0, quay.io/coreos/etcd:v3.5.9, gcr.io/etcd-development/etcd@sha256:...</summary>
    public static bool IsEtcdImage(string? image)
    {
        if (string.IsNullOrEmpty(image))
            return false;
        var repository = image.Split('@')[0];
        var lastSegment = repository[(repository.LastIndexOf('/') + 1)..];
        return lastSegment.Split(':')[0] == "etcd";
    }

    public static async Task StopAsync(Pod pod, CancellationToken ct)
    {
        if (pod.Process is { } p)
            await p.StopAsync(StopGrace, ct).ConfigureAwait(false);
    }

    /// <summary>spec.restartPolicy of a pod manifest: Always (the default), OnFailure or Never.</summary>
    public static string RestartPolicyOf(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        if (stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode root
            && root.Children.TryGetValue(new YamlScalarNode("spec"), out var spec) && spec is YamlMappingNode specMap
            && specMap.Children.TryGetValue(new YamlScalarNode("restartPolicy"), out var policy) && policy is YamlScalarNode { Value: { } value })
            return value;
        return "Always";
    }

    private static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    private static long LogLength(string file)
    {
        try
        {
            return new FileInfo(file).Exists ? new FileInfo(file).Length : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}

/// <summary>
/// The unit "kubelet": while active it syncs /etc/kubernetes/manifests with the running pods every
/// half second (kubelet watches the folder with inotify and re-lists every 20 s): a new manifest
/// starts a pod, a changed one replaces it, a vanished one stops it (SIGTERM, 30 s grace, SIGKILL),
/// and a pod that died is started again after kubelet's CrashLoopBackOff (10 s, doubling to 5 min,
/// reset after 10 min of running). Stopping the unit stops the syncing only; the pods keep running.
/// </summary>
public sealed class KubeletUnit(string manifestsDirectory, PodRuntime runtime) : LabUnit("kubelet")
{
    private static readonly TimeSpan SyncInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan BackoffReset = TimeSpan.FromMinutes(10);
    private CancellationTokenSource? _loop;
    private Task? _loopTask;
    private bool _noRestart;

    public override UnitState State => _loopTask is { IsCompleted: false } ? UnitState.Active : _noRestart ? UnitState.Failed : UnitState.Inactive;
    public override int? MainPid => State == UnitState.Active ? Environment.ProcessId : null;

    public override Task StartAsync(CancellationToken ct)
    {
        if (State == UnitState.Active)
            return Task.CompletedTask;
        _noRestart = false;
        // Back-off lives in the kubelet's memory: a restarted kubelet tries dead pods again at once.
        lock (runtime.Sync)
        {
            foreach (var pod in runtime.Pods.Values.Where(p => !p.Running))
            {
                pod.Backoff = PodRuntime.InitialBackoff;
                pod.NotBefore = DateTimeOffset.UtcNow;
            }
        }
        _loop = new CancellationTokenSource();
        var token = _loop.Token;
        _loopTask = Task.Run(() => LoopAsync(token), CancellationToken.None);
        Since = DateTimeOffset.UtcNow;
        return Task.CompletedTask;
    }

    public override async Task StopAsync(CancellationToken ct)
    {
        _loop?.Cancel();
        if (_loopTask is { } task)
            await task.WaitAsync(ct).ConfigureAwait(false);
        Since = DateTimeOffset.UtcNow;
    }

    public override async Task KillAsync(int signal, bool noRestart, CancellationToken ct)
    {
        await StopAsync(ct).ConfigureAwait(false);
        _noRestart = noRestart;
    }

    /// <summary>Waits until no pod of <paramref name="containerName"/> runs (after its manifest left).</summary>
    public async Task WaitGoneAsync(string containerName, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (runtime.Find(containerName) is not null && DateTimeOffset.UtcNow < deadline)
            await Task.Delay(100, ct).ConfigureAwait(false);
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await SyncOnceAsync(ct).ConfigureAwait(false);
                await Task.Delay(SyncInterval, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception or InvalidOperationException or DrException)
            {
                Console.Error.WriteLine($"kubelet: {ex.Message}");
                await Task.Delay(SyncInterval, ct).ConfigureAwait(false);
            }
        }
    }

    private async Task SyncOnceAsync(CancellationToken ct)
    {
        var wanted = new Dictionary<string, (string Hash, string Yaml)>();
        if (Directory.Exists(manifestsDirectory))
        {
            foreach (var file in Directory.EnumerateFiles(manifestsDirectory))
            {
                var name = Path.GetFileName(file);
                if (name.StartsWith('.') || !(name.EndsWith(".yaml", StringComparison.Ordinal) || name.EndsWith(".yml", StringComparison.Ordinal) || name.EndsWith(".json", StringComparison.Ordinal)))
                    continue;
                var yaml = await File.ReadAllTextAsync(file, ct).ConfigureAwait(false);
                wanted[file] = (Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(yaml))), yaml);
            }
        }

        List<PodRuntime.Pod> toStop;
        lock (runtime.Sync)
            toStop = [.. runtime.Pods.Values.Where(p => !wanted.TryGetValue(p.File, out var w) || w.Hash != p.Hash)];
        foreach (var pod in toStop)
        {
            Console.Error.WriteLine($"kubelet: stopping pod {pod.Manifest.PodName} ({Path.GetFileName(pod.File)} removed or changed)");
            await PodRuntime.StopAsync(pod, ct).ConfigureAwait(false);
            lock (runtime.Sync)
                runtime.Pods.Remove(pod.File);
        }

        foreach (var (file, (hash, yaml)) in wanted)
        {
            PodRuntime.Pod? pod;
            lock (runtime.Sync)
                runtime.Pods.TryGetValue(file, out pod);
            if (pod is null)
            {
                StaticPodManifest manifest;
                try
                {
                    manifest = StaticPodManifest.Parse(yaml, file);
                    if (manifest.Command.Count == 0)
                        throw new FormatException($"{file}: container {manifest.ContainerName} has no command (the lab cannot run an image's entrypoint)");
                }
                catch (Exception ex) when (ex is FormatException or DrException)
                {
                    Console.Error.WriteLine($"kubelet: cannot use {file}: {ex.Message}");
                    continue;
                }
                pod = new PodRuntime.Pod(file, hash, manifest, PodRuntime.RestartPolicyOf(yaml));
                lock (runtime.Sync)
                    runtime.Pods[file] = pod;
                Console.Error.WriteLine($"kubelet: starting pod {manifest.PodName} from {file}");
                runtime.Run(pod);
                continue;
            }
            if (pod.Finished)
                continue; // restartPolicy Never (or OnFailure after success): run once, keep its exit code
            if (pod.Running)
            {
                if (DateTimeOffset.UtcNow - pod.Process!.StartedAt > BackoffReset)
                    pod.Backoff = PodRuntime.InitialBackoff;
                continue;
            }
            if (pod.NotBefore == default)
            {
                pod.NotBefore = DateTimeOffset.UtcNow + pod.Backoff;
                Console.Error.WriteLine($"kubelet: pod {pod.Manifest.PodName} exited; back-off {pod.Backoff.TotalSeconds:0} s restarting failed container");
                continue;
            }
            if (DateTimeOffset.UtcNow >= pod.NotBefore)
            {
                pod.Backoff = TimeSpan.FromTicks(Math.Min(pod.Backoff.Ticks * 2, PodRuntime.MaxBackoff.Ticks));
                pod.NotBefore = default;
                pod.Restarts++;
                Console.Error.WriteLine($"kubelet: restarting pod {pod.Manifest.PodName} (restart {pod.Restarts})");
                runtime.Run(pod);
            }
        }
    }
}
