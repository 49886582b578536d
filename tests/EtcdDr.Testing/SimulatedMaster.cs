using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using EtcdDr.Remote;

namespace EtcdDr.Testing;

/// <summary>
/// A model of a master's kubelet, systemd units, container runtime and etcd tools on top of a
/// <see cref="RecordingRemoteHost"/>, so runtime and restore tests see what a master would answer:
/// - kubelet (when active) runs a static pod for every manifest in /etc/kubernetes/manifests and
///   stops those whose manifest left, after <see cref="KubeletLag"/> polls of `ss`/`crictl ps`;
/// - systemd units start and stop at once (`systemctl start|stop|is-active|reset-failed`);
/// - `ss -Hltn` lists the endpoints of what runs; `crictl ps|inspect|logs` the pods' containers;
/// - `etcdctl|etcdutl snapshot restore ... --data-dir=D` (host or in the one-shot pod) makes
///   D/member/snap/db and D/member/wal/0.wal, refusing an existing D as etcdctl 3.4 does.
/// </summary>
public sealed partial class SimulatedMaster
{
    private readonly RecordingRemoteHost _host;
    private readonly Dictionary<string, string> _containerIds = new(StringComparer.Ordinal);
    private readonly List<Container> _exited = [];
    private readonly HashSet<string> _restorePodsRun = new(StringComparer.Ordinal);
    private int _pendingPolls;
    private int _nextId = 1;

    public SimulatedMaster(RecordingRemoteHost host)
    {
        _host = host;
        host.Handlers.Add(Handle);
    }

    private sealed record Container(string Id, string Name, string State, int ExitCode, string Logs, long CreatedAt);

    /// <summary>Units by name ("kubelet", "etcd") and whether they are active.</summary>
    public Dictionary<string, bool> Units { get; } = new(StringComparer.Ordinal);

    /// <summary>What each unit listens on while active ("10.0.0.21:2379").</summary>
    public Dictionary<string, string[]> UnitListens { get; } = new(StringComparer.Ordinal);

    /// <summary>What each static pod listens on while it runs, by manifest file name.</summary>
    public Dictionary<string, string[]> PodListens { get; } = new(StringComparer.Ordinal);

    /// <summary>Manifest file names whose pod runs now.</summary>
    public HashSet<string> RunningPods { get; } = new(StringComparer.Ordinal);

    /// <summary>How many `ss`/`crictl ps` polls pass before kubelet notices a manifest change.</summary>
    public int KubeletLag { get; set; }

    /// <summary>Other sockets (neighbours on a shared network namespace) always listed by `ss`.</summary>
    public List<string> OtherListeners { get; } = [];

    /// <summary>Exit code of the restore tool (host or pod); non-zero fails with <see cref="RestoreError"/>.</summary>
    public int RestoreExitCode { get; set; }
    public string RestoreError { get; set; } = "Error: snapshot file has no SHA-256 trailer";

    /// <summary>Whether crictl is installed and its runtime answers.</summary>
    public bool CrictlAnswers { get; set; } = true;

    public bool KubeletActive => Units.GetValueOrDefault("kubelet");

    private const string Manifests = "/etc/kubernetes/manifests/";

    /// <summary>Starts every pod whose manifest is live now (test setup: a running master).</summary>
    public void Boot()
    {
        Units["kubelet"] = true;
        Sync();
    }

    private void Sync()
    {
        if (!KubeletActive)
            return;
        var live = _host.FileSystem.Files.Keys.Where(p => p.StartsWith(Manifests, StringComparison.Ordinal) && !p[Manifests.Length..].Contains('/'))
            .Select(p => p[Manifests.Length..]).Where(f => !f.StartsWith('.')).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in RunningPods.Where(p => !live.Contains(p)).ToList())
        {
            RunningPods.Remove(gone);
            _containerIds.Remove(gone);
        }
        _restorePodsRun.IntersectWith(live);
        foreach (var file in live.Where(f => !RunningPods.Contains(f)))
        {
            if (file.StartsWith("etcd-dr-restore", StringComparison.Ordinal))
            {
                if (_restorePodsRun.Add(file))
                    RunRestorePod(file);
                continue;
            }
            RunningPods.Add(file);
            _containerIds[file] = NewId();
        }
    }

    /// <summary>The container's name: the restore pod's is fixed, a control plane pod's is its file's name.</summary>
    private static string ContainerName(string file) =>
        file.StartsWith("etcd-dr-restore", StringComparison.Ordinal) ? "etcd-dr-restore" : Path.GetFileNameWithoutExtension(file);

    private string IdOf(string file)
    {
        if (!_containerIds.TryGetValue(file, out var id))
            _containerIds[file] = id = NewId();
        return id;
    }

    private string NewId() => $"c{(_nextId++).ToString("D3", CultureInfo.InvariantCulture)}";

    /// <summary>kubelet runs the one-shot pod to completion at once: restartPolicy Never.</summary>
    private void RunRestorePod(string file)
    {
        var yaml = _host.FileSystem.Text(Manifests + file);
        var words = CommandItem().Matches(yaml).Select(m => m.Groups[1].Value.Replace("''", "'", StringComparison.Ordinal)).ToList();
        var (exit, logs) = Restore(words);
        _exited.Add(new Container(NewId(), file, "CONTAINER_EXITED", exit, logs, _nextId));
    }

    private (int Exit, string Output) Restore(IReadOnlyList<string> words)
    {
        var dataDir = words.FirstOrDefault(w => w.StartsWith("--data-dir=", StringComparison.Ordinal))?["--data-dir=".Length..];
        if (dataDir is null)
            return (1, "Error: no --data-dir");
        if (RestoreExitCode != 0)
            return (RestoreExitCode, RestoreError);
        var fs = _host.FileSystem;
        // etcdctl 3.4.23 (checked on the lab) refuses a data dir that exists at all, even empty.
        if (fs.Exists(dataDir))
            return (1, $"Error: data-dir \"{dataDir}\" exists");
        fs.AddDirectory(dataDir, "700");
        fs.AddFile(dataDir + "/member/snap/db", "restored:" + string.Join(' ', words), "600");
        fs.AddFile(dataDir + "/member/wal/0000000000000000-0000000000000000.wal", "wal", "600");
        return (0, "restored snapshot\n");
    }

    private ProcessResult? Handle(IReadOnlyList<string> argv)
    {
        switch (argv.ToArray())
        {
            case ["systemctl", "is-active", var unit]:
                return Units.GetValueOrDefault(unit) ? RecordingRemoteHost.Ok("active\n") : new ProcessResult(3, "inactive\n", "");
            case ["systemctl", "start", .. var rest]:
                Units[rest[^1]] = true;
                return RecordingRemoteHost.Ok();
            case ["systemctl", "stop", var stopped]:
                Units[stopped] = false;
                return RecordingRemoteHost.Ok();
            case ["systemctl", "reset-failed", _]:
                return RecordingRemoteHost.Ok();
            case ["ss", "-Hltn"]:
                Poll();
                return RecordingRemoteHost.Ok(Ss());
            case [var crictl, ..] when crictl.EndsWith("crictl", StringComparison.Ordinal):
                return Crictl(argv);
            case var words when IsRestoreTool(words):
                var (exit, output) = Restore(argv);
                return exit == 0 ? RecordingRemoteHost.Ok(output) : RecordingRemoteHost.Fail(exit, output);
            default:
                Sync0();
                return null;
        }
    }

    private static bool IsRestoreTool(IReadOnlyList<string> argv)
    {
        var at = argv.ToList().IndexOf("snapshot");
        return at > 0 && at + 1 < argv.Count && argv[at + 1] == "restore"
            && (argv[at - 1].EndsWith("etcdctl", StringComparison.Ordinal) || argv[at - 1].EndsWith("etcdutl", StringComparison.Ordinal));
    }

    /// <summary>kubelet acts on the manifests folder after <see cref="KubeletLag"/> polls.</summary>
    private void Poll()
    {
        if (_pendingPolls > 0)
        {
            _pendingPolls--;
            return;
        }
        Sync();
    }

    /// <summary>Any other command may have changed the manifests folder: the lag starts over.</summary>
    private void Sync0() => _pendingPolls = KubeletLag;

    private string Ss()
    {
        var lines = new StringBuilder();
        void Add(string endpoint) => lines.Append(CultureInfo.InvariantCulture, $"LISTEN 0      4096   {endpoint,-22} 0.0.0.0:*\n");
        foreach (var (unit, listens) in UnitListens.Where(u => Units.GetValueOrDefault(u.Key)))
            listens.ToList().ForEach(Add);
        foreach (var pod in RunningPods.Order(StringComparer.Ordinal))
            PodListens.GetValueOrDefault(pod, []).ToList().ForEach(Add);
        OtherListeners.ForEach(Add);
        return lines.ToString();
    }

    private ProcessResult Crictl(IReadOnlyList<string> argv)
    {
        if (!CrictlAnswers)
            return RecordingRemoteHost.Fail(1, "time=\"2026-12-06T02:00:00Z\" level=fatal msg=\"validate service connection: validate CRI v1 runtime API for endpoint \\\"unix:///run/containerd/containerd.sock\\\": rpc error: code = Unavailable\"");
        var name = argv.SkipWhile(a => a != "--name").Skip(1).FirstOrDefault();
        var regex = name is null ? null : new Regex(name);
        switch (argv.Skip(1).ToArray())
        {
            case ["ps", .. var rest] when rest.Contains("-a") && rest.Contains("json"):
                Poll();
                var json = string.Join(",", _exited.Where(c => regex?.IsMatch("etcd-dr-restore") != false)
                    .Select(c => $"{{\"id\":\"{c.Id}\",\"metadata\":{{\"name\":\"etcd-dr-restore\",\"attempt\":0}},\"state\":\"{c.State}\",\"createdAt\":\"{c.CreatedAt.ToString(CultureInfo.InvariantCulture)}\"}}"));
                return RecordingRemoteHost.Ok($"{{\"containers\":[{json}]}}\n");
            case ["ps", ..]:
                Poll();
                var ids = RunningPods.Where(p => regex?.IsMatch(ContainerName(p)) != false).Select(p => IdOf(p) + "\n");
                return RecordingRemoteHost.Ok(string.Concat(ids));
            case ["inspect", var id] when _exited.FirstOrDefault(c => c.Id == id) is { } c:
                return RecordingRemoteHost.Ok($"{{\"status\":{{\"id\":\"{c.Id}\",\"state\":\"{c.State}\",\"exitCode\":{c.ExitCode.ToString(CultureInfo.InvariantCulture)},\"reason\":\"{(c.ExitCode == 0 ? "Completed" : "Error")}\"}},\"info\":{{}}}}\n");
            case ["logs", var id] when _exited.FirstOrDefault(c => c.Id == id) is { } c:
                return RecordingRemoteHost.Ok(c.Logs);
            case ["version"]:
                return RecordingRemoteHost.Ok("Version:  0.1.0\nRuntimeName:  containerd\nRuntimeVersion:  v1.7.22\nRuntimeApiVersion:  v1\n");
            default:
                return RecordingRemoteHost.Fail(1, $"crictl: the model does not know {string.Join(' ', argv)}");
        }
    }

    [GeneratedRegex(@"(?m)^    - '((?:[^']|'')*)'$")]
    private static partial Regex CommandItem();
}
