using System.Security.Cryptography;
using EtcdDr.Remote;
using EtcdDr.Restore;
using EtcdDr.Topology;

namespace EtcdDr.Tests.Restore;

/// <summary>
/// Three masters and their etcd cluster, simulated just enough for restore logic: a file system of paths
/// per master, etcd running or not, a member list that follows starts, adds, removes and promotes. Every
/// action lands in <see cref="Transcript"/> as "host: what", so a whole restore is a golden transcript.
/// (Until the runtimes branch's recording host lands, this is the restore's own fake.)
/// </summary>
public sealed class FakeRestoreWorld
{
    public List<string> Transcript { get; } = [];
    public Dictionary<string, FakeMaster> Masters { get; } = new(StringComparer.Ordinal);
    public List<ClusterMember> Members { get; } = [];
    public ulong NextId { get; set; } = 0x1000;
    public string? ClusterToken { get; set; }

    /// <summary>"Kind host": throw <see cref="KilledException"/> right after that action (a SIGKILL before the journal's "end").</summary>
    public string? KillAfter { get; set; }

    public FakeRestoreCluster Cluster { get; }

    public FakeRestoreWorld(EtcdFlavor flavor, string version = "3.5.12", int masters = 3)
    {
        Cluster = new FakeRestoreCluster(this);
        for (var i = 1; i <= masters; i++)
        {
            var m = new FakeMaster(this, Topology(flavor, i, version));
            Masters[m.Topology.Host] = m;
            Members.Add(new ClusterMember(NextId++, m.Topology.MemberName, m.Topology.PeerUrls, m.Topology.ClientUrls, false));
        }
    }

    public IReadOnlyList<MasterTopology> Topologies => Masters.Values.Select(m => m.Topology).ToList();

    public IReadOnlyDictionary<string, IEtcdRuntime> Runtimes => Masters.ToDictionary(m => m.Key, m => (IEtcdRuntime)m.Value.Runtime, StringComparer.Ordinal);

    public void Log(string host, string what)
    {
        lock (Transcript)
            Transcript.Add($"{host}: {what}");
        if (KillAfter is { } kill && kill == what.Split(' ')[0] + " " + host)
        {
            KillAfter = null;
            throw new KilledException();
        }
    }

    /// <summary>Every master healthy and running with its old data (before a disaster).</summary>
    public FakeRestoreWorld AllRunning()
    {
        foreach (var m in Masters.Values)
        {
            m.Running = true;
            m.AddTree(m.Topology.DataDir);
        }
        return this;
    }

    /// <summary>`lab break wipe-data` on every master: etcd down, data dirs gone, quorum lost.</summary>
    public FakeRestoreWorld AllWiped()
    {
        foreach (var m in Masters.Values)
            m.Running = false;
        return this;
    }

    /// <summary>lose-quorum: only the first master's etcd runs... not enough; its data survives everywhere.</summary>
    public FakeRestoreWorld QuorumLost()
    {
        foreach (var m in Masters.Values)
        {
            m.AddTree(m.Topology.DataDir);
            m.Running = m.Topology.Host == "master-1";
        }
        return this;
    }

    public static MasterTopology Topology(EtcdFlavor flavor, int i, string version)
    {
        var ip = $"10.0.0.1{i}";
        var name = $"master-{i}";
        var cluster = "master-1=https://10.0.0.11:2380,master-2=https://10.0.0.12:2380,master-3=https://10.0.0.13:2380";
        if (flavor == EtcdFlavor.Kubeadm)
        {
            var text = $"""
                apiVersion: v1
                kind: Pod
                spec:
                  containers:
                  - command:
                    - etcd
                    - --advertise-client-urls=https://{ip}:2379
                    - --data-dir=/var/lib/etcd
                    - --initial-advertise-peer-urls=https://{ip}:2380
                    - --initial-cluster={name}=https://{ip}:2380
                    - --listen-peer-urls=https://{ip}:2380
                    - --name={name}
                    image: registry.k8s.io/etcd:{version}-0

                """;
            return new MasterTopology(name, flavor, "/etc/kubernetes/manifests/etcd.yaml", name, "/var/lib/etcd", [$"https://{ip}:2380"], [$"https://{ip}:2379"],
                $"{name}=https://{ip}:2380", null, new EtcdCertPaths(), version, $"registry.k8s.io/etcd:{version}-0", new EtcdTool("crictl", "/usr/bin/crictl", $"registry.k8s.io/etcd:{version}-0"),
                new EtcdTool("crictl", "/usr/bin/crictl", $"registry.k8s.io/etcd:{version}-0"), true, "active", [], PodDataDir: "/var/lib/etcd", ConfigText: text);
        }
        var env = $"""
            # Ansible managed
            ETCD_DATA_DIR=/var/lib/etcd
            ETCD_ADVERTISE_CLIENT_URLS=https://{ip}:2379
            ETCD_INITIAL_ADVERTISE_PEER_URLS=https://{ip}:2380
            ETCD_INITIAL_CLUSTER_STATE=existing
            ETCD_INITIAL_CLUSTER_TOKEN=k8s_etcd
            ETCD_NAME={name}
            ETCD_INITIAL_CLUSTER={cluster}

            """;
        return new MasterTopology(name, flavor, "/etc/etcd.env", name, "/var/lib/etcd", [$"https://{ip}:2380"], [$"https://{ip}:2379"],
            cluster, "k8s_etcd", new EtcdCertPaths(), version, null, new EtcdTool("host", "/usr/local/bin/etcdctl"), new EtcdTool("host", "/usr/local/bin/etcdutl"),
            false, null, [], ConfigText: env, UnitFile: "/etc/systemd/system/etcd.service", EtcdUser: "etcd");
    }
}

/// <summary>Thrown by the fake right after an action: the orchestrator "dies" before journaling the step's end.</summary>
public sealed class KilledException : Exception;

public sealed class FakeMaster
{
    public FakeMaster(FakeRestoreWorld world, MasterTopology topology)
    {
        World = world;
        Topology = topology;
        Config = topology.ConfigText!;
        Host = new FakeRestoreHost(this);
        Runtime = new FakeRuntime(this);
    }

    public FakeRestoreWorld World { get; }
    public MasterTopology Topology { get; }

    /// <summary>The inventory's etcdClientUrl for this master (a NAT address): only there does etcd answer from outside.</summary>
    public string? EndpointUrl { get; set; }
    public FakeRestoreHost Host { get; }
    public FakeRuntime Runtime { get; }
    public string Config { get; set; }
    public bool Running { get; set; }
    public bool ControlPlaneRunning { get; set; } = true;
    public SnapshotRestoreRequest? Restored { get; set; }

    /// <summary>Paths on the master, directories and files alike (content hash for files).</summary>
    public SortedDictionary<string, string> Paths { get; } = new(StringComparer.Ordinal);

    public void AddTree(string dir)
    {
        Paths[dir] = "dir";
        Paths[dir + "/member"] = "dir";
        Paths[dir + "/member/snap/db"] = "old-data";
    }

    public bool Exists(string path) => Paths.ContainsKey(path);

    public void Move(string from, string to)
    {
        foreach (var key in Paths.Keys.Where(k => k == from || k.StartsWith(from + "/", StringComparison.Ordinal)).ToList())
        {
            Paths[to + key[from.Length..]] = Paths[key];
            Paths.Remove(key);
        }
    }

    public void Copy(string from, string to)
    {
        foreach (var key in Paths.Keys.Where(k => k == from || k.StartsWith(from + "/", StringComparison.Ordinal)).ToList())
            Paths[to + key[from.Length..]] = Paths[key];
    }

    public string PlannedPeer => Topology.PeerUrls[0];

    /// <summary>The restored data dir was started once (its membership is in the member list since).</summary>
    public bool RestoredStarted { get; set; }

    /// <summary>What etcd does at start with the data and config it finds.</summary>
    public void OnStart()
    {
        var members = World.Members;
        var name = Topology.MemberName;
        if (Config.Contains("force-new-cluster=true", StringComparison.Ordinal) || Config.Contains("FORCE_NEW_CLUSTER=true", StringComparison.Ordinal))
        {
            // force-new-cluster keeps only this member, and (as seed 003 found) with a localhost peer URL.
            var id = members.FirstOrDefault(m => m.Name == name)?.Id ?? World.NextId++;
            members.Clear();
            members.Add(new ClusterMember(id, name, ["http://localhost:2380"], Topology.ClientUrls, false));
            RestoredStarted = true;
            return;
        }
        if (Restored is { } r && !RestoredStarted)
        {
            RestoredStarted = true;
            // A restored data dir: the member list is the restore's --initial-cluster, a NEW cluster
            // (the first member to start makes it; the others find themselves in it).
            if (World.ClusterToken != r.InitialClusterToken)
            {
                World.ClusterToken = r.InitialClusterToken;
                members.Clear();
                foreach (var pair in r.InitialCluster.Split(','))
                {
                    var parts = pair.Split('=', 2);
                    members.Add(new ClusterMember(World.NextId++, parts[0], [parts[1]], [$"https://{new Uri(parts[1]).Host}:2379"], false));
                }
            }
            return;
        }
        var added = members.FindIndex(m => m.Name.Length == 0 && m.PeerUrls.Contains(PlannedPeer));
        if (added >= 0)
            members[added] = members[added] with { Name = name, ClientUrls = Topology.ClientUrls };
    }
}

/// <summary>The flavor runtime, faked: state changes in <see cref="FakeMaster"/>, each call in the transcript.</summary>
public sealed class FakeRuntime(FakeMaster master) : IEtcdRuntime
{
    private bool Kubeadm => master.Topology.Flavor == EtcdFlavor.Kubeadm;

    public MasterTopology Topology => master.Topology;
    public IRemoteHost Host => master.Host;
    public string? DataDirOwner => Kubeadm ? null : "etcd:etcd";

    public Task StopControlPlaneAsync(CancellationToken ct)
    {
        master.ControlPlaneRunning = false;
        master.World.Log(Topology.Host, "StopControlPlane");
        return Task.CompletedTask;
    }

    public Task StartControlPlaneAsync(CancellationToken ct)
    {
        master.ControlPlaneRunning = true;
        master.World.Log(Topology.Host, "StartControlPlane");
        return Task.CompletedTask;
    }

    public IReadOnlyList<string> DescribeControlPlane(bool stop) => !Kubeadm ? []
        : stop ? ["mv /etc/kubernetes/manifests/kube-{apiserver,controller-manager,scheduler}.yaml /etc/kubernetes/etcd-dr-parked/", "systemctl stop kubelet"]
        : ["systemctl start kubelet", "mv /etc/kubernetes/etcd-dr-parked/*.yaml /etc/kubernetes/manifests/"];

    public Task StopEtcdAsync(CancellationToken ct)
    {
        master.Running = false;
        master.World.Log(Topology.Host, "StopEtcd");
        return Task.CompletedTask;
    }

    public Task StartEtcdAsync(CancellationToken ct)
    {
        lock (master.World)
        {
            master.Running = true;
            master.OnStart();
        }
        master.World.Log(Topology.Host, "StartEtcd");
        return Task.CompletedTask;
    }

    public Task<bool> IsEtcdRunningAsync(CancellationToken ct) => Task.FromResult(master.Running);

    public IReadOnlyList<string> DescribeEtcd(bool stop) => Kubeadm
        ? [stop ? "mv /etc/kubernetes/manifests/etcd.yaml /etc/kubernetes/etcd-dr-parked/ (wait until the container is gone)" : "mv /etc/kubernetes/etcd-dr-parked/etcd.yaml /etc/kubernetes/manifests/ (wait until :2379 listens)"]
        : [stop ? "systemctl stop etcd" : "systemctl start etcd"];

    public string EditConfig(string text, IReadOnlyDictionary<string, string?> settings)
    {
        var lines = text.Split('\n').ToList();
        foreach (var (key, value) in settings)
        {
            var variable = "ETCD_" + key.Replace('-', '_').ToUpperInvariant();
            int index = Kubeadm ? lines.FindIndex(l => l.Trim().StartsWith($"- --{key}=", StringComparison.Ordinal)) : lines.FindIndex(l => l.StartsWith(variable + "=", StringComparison.Ordinal));
            var line = Kubeadm ? $"    - --{key}={value}" : $"{variable}={value}";
            if (value is null)
            {
                if (index >= 0)
                    lines.RemoveAt(index);
            }
            else if (index >= 0)
                lines[index] = line;
            else if (Kubeadm)
                lines.Insert(lines.FindIndex(l => l.Trim() == "- etcd") + 1, line);
            else
                lines.Insert(lines.Count - 1, line);
        }
        return string.Join('\n', lines);
    }

    public Task<string> ReadConfigAsync(CancellationToken ct) => Task.FromResult(master.Config);

    public Task WriteConfigAsync(string text, CancellationToken ct)
    {
        master.Config = text;
        master.World.Log(Topology.Host, $"WriteConfig {Topology.ConfigFile}");
        return Task.CompletedTask;
    }

    public Task MoveDataDirAsideAsync(string aside, CancellationToken ct)
    {
        if (master.Exists(Topology.DataDir))
            master.Move(Topology.DataDir, aside);
        master.World.Log(Topology.Host, $"MoveDataDirAside {Topology.DataDir} -> {aside}");
        return Task.CompletedTask;
    }

    public Task RestoreSnapshotAsync(SnapshotRestoreRequest request, CancellationToken ct)
    {
        if (master.Restored == request)
            return Task.CompletedTask; // the real runtimes keep a marker: their own finished restore is not redone
        if (master.Exists(request.DataDir))
            throw new DrException($"{Topology.Host}: {request.DataDir} exists", FailureKind.Refused);
        master.Paths[request.DataDir] = "dir";
        master.Paths[request.DataDir + "/member"] = "dir";
        master.Restored = request;
        master.World.Log(Topology.Host, $"RestoreSnapshot {string.Join(" ", DescribeRestore(request))}");
        return Task.CompletedTask;
    }

    public Task<RestoreToolCheck> CheckRestoreToolAsync(CancellationToken ct) =>
        Task.FromResult(new RestoreToolCheck(true, $"etcd {Topology.EtcdVersion}: {DescribeRestore(new SnapshotRestoreRequest("", "", "", "", "", ""))[0].Split(' ')[0]} (fake)"));

    public IReadOnlyList<string> DescribeRestore(SnapshotRestoreRequest r) =>
    [
        (Topology.EtcdVersion!.StartsWith("3.4", StringComparison.Ordinal) ? "etcdctl" : "etcdutl") +
        $" snapshot restore {r.SnapshotPath} --data-dir={r.DataDir} --name={r.MemberName} --initial-cluster={r.InitialCluster} --initial-advertise-peer-urls={r.InitialAdvertisePeerUrls} --initial-cluster-token={r.InitialClusterToken}" +
        (r.BumpRevision > 0 ? $" --bump-revision={r.BumpRevision} --mark-compacted" : ""),
    ];
}

/// <summary>The master's shell, faked for the few commands steps run themselves (test, sha256sum, install, mv, cp, df, du).</summary>
public sealed class FakeRestoreHost(FakeMaster master) : IRemoteHost
{
    public string Name => master.Topology.Host;

    public Task<ProcessResult> RunAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, CancellationToken ct)
    {
        var line = ShellQuote.Join(argv);
        var readOnly = argv[0] is "test" or "sha256sum" or "df" or "du";
        ProcessResult result = argv.ToArray() switch
        {
            ["test", "-e", var p] => new(master.Exists(p) ? 0 : 1, "", ""),
            ["sha256sum", "--", var p] => master.Paths.TryGetValue(p, out var h) && h != "dir" ? new(0, $"{h}  {p}\n", "") : new(1, "", "No such file"),
            ["df", "-B1", "--output=avail", _] => new(0, "    Avail\n500000000000\n", ""),
            ["du", "-sb", "--", var p] => new(0, $"123456\t{p}\n", ""),
            ["install", "-d", "-m", _, var p] => Do(() => master.Paths[p] = "dir"),
            ["mv", "-f", "--", var a, var b] => Do(() => master.Move(a, b)),
            ["mv", "--", var a, var b] => Do(() => master.Move(a, b)),
            ["mv", "-T", "--", var a, var b] => Do(() => master.Move(a, b)),
            ["mkdir", "-p", "-m", _, var p] => Do(() => master.Paths[p] = "dir"),
            ["rm", "-rf", "--", var p] => Do(() => master.Move(p, "/dev/null/" + p)),
            ["cp", "-a", "--", var a, var b] => Do(() => master.Copy(a, b)),
            _ => new(127, "", $"{argv[0]}: not faked"),
        };
        if (!readOnly)
            master.World.Log(Name, "$ " + line);
        return Task.FromResult(result);
    }

    private static ProcessResult Do(Action action)
    {
        action();
        return new ProcessResult(0, "", "");
    }

    public Task StreamOutAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, Func<Stream, CancellationToken, Task> stdout, CancellationToken ct) =>
        throw new NotSupportedException(ShellQuote.Join(argv));

    public async Task StreamInAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, Func<Stream, CancellationToken, Task> stdin, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await stdin(buffer, ct);
        if (argv is not ["install", "-m", _, "/dev/stdin", var path])
            throw new NotSupportedException(ShellQuote.Join(argv));
        master.Paths[path] = Convert.ToHexStringLower(SHA256.HashData(buffer.ToArray()));
        master.World.Log(Name, $"$ {ShellQuote.Join(argv)} < {buffer.Length} bytes");
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>etcd's API over the simulated member list: healthy = running, a member, and a quorum of voters running.</summary>
public sealed class FakeRestoreCluster(FakeRestoreWorld world) : IRestoreCluster
{
    private readonly HashSet<ulong> _askedToPromote = [];

    private bool Quorum()
    {
        var voters = world.Members.Where(m => !m.IsLearner).ToList();
        var up = voters.Count(v => world.Masters.Values.Any(m => m.Running && m.Topology.MemberName == v.Name));
        return up > voters.Count / 2;
    }

    public Task<IReadOnlyList<ClusterMember>> MembersAsync(CancellationToken ct) =>
        Quorum() ? Task.FromResult<IReadOnlyList<ClusterMember>>(world.Members.ToList()) : throw new DrException("MemberList failed on every endpoint", FailureKind.Unreachable);

    public Task<ClusterMember> AddLearnerAsync(string peerUrl, CancellationToken ct)
    {
        var m = new ClusterMember(world.NextId++, "", [peerUrl], [], true);
        world.Members.Add(m);
        world.Log("cluster", $"MemberAddLearner {peerUrl}");
        return Task.FromResult(m);
    }

    public Task RemoveAsync(ulong id, CancellationToken ct)
    {
        var m = world.Members.First(x => x.Id == id);
        world.Members.Remove(m);
        world.Log("cluster", $"MemberRemove {m.Name}");
        return Task.CompletedTask;
    }

    public Task UpdatePeerUrlAsync(ulong id, string peerUrl, CancellationToken ct)
    {
        var i = world.Members.FindIndex(x => x.Id == id);
        world.Members[i] = world.Members[i] with { PeerUrls = [peerUrl] };
        world.Log("cluster", $"MemberUpdate {world.Members[i].Name} {peerUrl}");
        return Task.CompletedTask;
    }

    /// <summary>The first ask is refused (the learner is still syncing), as etcd does.</summary>
    public Task<bool> TryPromoteAsync(ulong id, CancellationToken ct)
    {
        var i = world.Members.FindIndex(x => x.Id == id);
        var running = world.Masters.Values.Any(m => m.Running && m.PlannedPeer == world.Members[i].PeerUrls[0]);
        if (!running || _askedToPromote.Add(id))
            return Task.FromResult(false);
        world.Members[i] = world.Members[i] with { IsLearner = false };
        world.Log("cluster", $"MemberPromote {world.Members[i].Name}");
        return Task.FromResult(true);
    }

    /// <summary>Every URL a health check asked, in order.</summary>
    public List<string> HealthAsked { get; } = [];

    public Task<IReadOnlyList<EndpointHealth>> HealthAsync(IReadOnlyList<string> clientUrls, CancellationToken ct)
    {
        lock (HealthAsked)
            HealthAsked.AddRange(clientUrls);
        var quorum = Quorum();
        var leader = world.Members.Where(m => !m.IsLearner).Select(m => m.Name).FirstOrDefault(n => world.Masters.Values.Any(x => x.Running && x.Topology.MemberName == n));
        return Task.FromResult<IReadOnlyList<EndpointHealth>>(clientUrls.Select(url =>
        {
            var master = world.Masters.Values.FirstOrDefault(m => m.Topology.ClientUrls.Contains(url) || m.EndpointUrl == url);
            var healthy = master is { Running: true } && quorum && world.Members.Any(m => m.Name == master.Topology.MemberName);
            return new EndpointHealth(url, healthy, healthy && leader == master!.Topology.MemberName, healthy ? 100 : 0, healthy ? null : "connection refused");
        }).ToList());
    }
}
