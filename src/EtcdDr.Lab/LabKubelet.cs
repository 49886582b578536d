using EtcdDr.Topology;
using System.Security.Cryptography;
using System.Text;

namespace EtcdDr.Lab;

/// <summary>
/// The lab's stand-in for a container runtime: static pods as plain processes of the master's init.
/// They outlive the kubelet, as containers do when kubelet stops, and a kubelet started again
/// adopts them. The "image" is the host's binary of the same name (etcd -> /usr/bin/etcd); every
/// hostPath volume maps to the same path, because the pod runs in the master's own mount namespace.
/// </summary>
public sealed class PodRuntime(MasterPaths paths, IReadOnlyDictionary<string, string> baseEnvironment)
{
    public static readonly TimeSpan InitialBackoff = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(30);

    public sealed class Pod(string file, string hash, StaticPodManifest manifest)
    {
        public string File { get; } = file;
        public string Hash { get; } = hash;
        public StaticPodManifest Manifest { get; } = manifest;
        public SupervisedProcess? Process { get; set; }
        public TimeSpan Backoff { get; set; } = InitialBackoff;
        public DateTimeOffset NotBefore { get; set; }
        public int Restarts { get; set; }
        public bool Running => Process is { HasExited: false };
    }

    public Dictionary<string, Pod> Pods { get; } = [];
    public object Sync { get; } = new();

    public Pod? Find(string containerName)
    {
        lock (Sync)
            return Pods.Values.FirstOrDefault(p => p.Manifest.ContainerName == containerName);
    }

    public void Run(Pod pod)
    {
        var command = pod.Manifest.Command;
        var program = command[0].Contains('/', StringComparison.Ordinal) ? command[0] : LabTools.Require(command[0]);
        var env = new Dictionary<string, string>(baseEnvironment);
        foreach (var (k, v) in pod.Manifest.Environment)
            env[k] = v;
        pod.Process = SupervisedProcess.Start(program, command.Skip(1), env, paths.Log(pod.Manifest.ContainerName));
    }

    public static async Task StopAsync(Pod pod, CancellationToken ct)
    {
        if (pod.Process is { } p)
            await p.StopAsync(StopGrace, ct).ConfigureAwait(false);
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
                pod = new PodRuntime.Pod(file, hash, manifest);
                lock (runtime.Sync)
                    runtime.Pods[file] = pod;
                Console.Error.WriteLine($"kubelet: starting pod {manifest.PodName} from {file}");
                runtime.Run(pod);
                continue;
            }
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
