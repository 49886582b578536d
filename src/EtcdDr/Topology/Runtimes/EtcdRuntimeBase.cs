using EtcdDr.Remote;

namespace EtcdDr.Topology.Runtimes;

/// <summary>
/// What every flavor's runtime shares: the control plane (static pods + kubelet), the data dir's
/// owner, moving it aside, the restore tool and its safety rules, atomic config writes. A flavor
/// adds how etcd itself stops and starts, where its config is and how that config is edited.
/// </summary>
public abstract class EtcdRuntimeBase : IEtcdRuntime
{
    protected EtcdRuntimeBase(MasterTopology topology, IRemoteHost host, EtcdRuntimeOptions? options)
    {
        Topology = topology;
        Host = host;
        Shell = new MasterShell(host, options ?? EtcdRuntimeOptions.Default);
        ControlPlane = new ControlPlaneStaticPods(Shell, topology);
    }

    public MasterTopology Topology { get; }
    public IRemoteHost Host { get; }
    protected MasterShell Shell { get; }
    protected ControlPlaneStaticPods ControlPlane { get; }
    public string DataDir => Topology.DataDir;

    /// <summary>The unit's User= ("etcd" -> "etcd:etcd"); root (null) when unset or root.</summary>
    public string? DataDirOwner => Topology.EtcdUser is { Length: > 0 } user && user != "root" ? $"{user}:{user}" : null;

    protected IReadOnlyList<Endpoint> ClientEndpoints => [.. Topology.ClientUrls.Select(Endpoint.FromUrl).Distinct()];
    protected IReadOnlyList<Endpoint> MemberEndpoints => [.. Topology.ClientUrls.Concat(Topology.PeerUrls).Select(Endpoint.FromUrl).Distinct()];

    public Task StopControlPlaneAsync(CancellationToken ct) => ControlPlane.StopAsync(ct);
    public Task StartControlPlaneAsync(CancellationToken ct) => ControlPlane.StartAsync(ct);
    public IReadOnlyList<string> DescribeControlPlane(bool stop) => ControlPlane.Describe(stop);

    public abstract Task StopEtcdAsync(CancellationToken ct);
    public abstract Task StartEtcdAsync(CancellationToken ct);
    public abstract Task<bool> IsEtcdRunningAsync(CancellationToken ct);
    public abstract IReadOnlyList<string> DescribeEtcd(bool stop);
    public abstract string EditConfig(string text, IReadOnlyDictionary<string, string?> settings);

    /// <summary>Where the config file is right now (a kubeadm manifest may be parked).</summary>
    protected abstract Task<string> ConfigPathAsync(CancellationToken ct);

    /// <summary>A folder on the config file's file system where a temporary copy may sit unseen.</summary>
    protected abstract string TempDirectoryFor(string configPath);

    /// <summary>Where the etcd image's tools run when the host has none; null when this flavor cannot.</summary>
    protected abstract IRestoreExecutor? ImageExecutor();

    public async Task<string> ReadConfigAsync(CancellationToken ct) =>
        await Shell.ReadTextAsync(await ConfigPathAsync(ct).ConfigureAwait(false), ct).ConfigureAwait(false);

    public async Task WriteConfigAsync(string text, CancellationToken ct)
    {
        var path = await ConfigPathAsync(ct).ConfigureAwait(false);
        var (mode, owner) = await Shell.StatAsync(path, ct).ConfigureAwait(false);
        var temp = TempDirectoryFor(path);
        if (!await Shell.TestAsync("-d", temp, ct).ConfigureAwait(false))
            await Shell.MustAsync(["mkdir", "-p", "-m", "0700", temp], ct).ConfigureAwait(false);
        await Shell.WriteAtomicallyAsync(path, text, temp, mode, owner, ct).ConfigureAwait(false);
    }

    public async Task MoveDataDirAsideAsync(string aside, CancellationToken ct)
    {
        var present = await Shell.PresentAsync([DataDir, aside], ct).ConfigureAwait(false);
        if (!present.Contains(DataDir))
            return; // already moved (a resumed run), or a host that never had one
        if (present.Contains(aside))
            throw new DrException($"{Host.Name}: cannot move {DataDir} aside: {aside} already exists; choose another name", FailureKind.Refused);
        if (await IsEtcdRunningAsync(ct).ConfigureAwait(false))
            throw new DrException($"{Host.Name}: etcd still runs on {DataDir}; stop it before moving its data dir aside", FailureKind.Refused);
        await Shell.MustAsync(["mv", "-T", "--", DataDir, aside], ct).ConfigureAwait(false);
    }

    public Task RestoreSnapshotAsync(SnapshotRestoreRequest request, CancellationToken ct)
    {
        var command = CommandFor(request);
        return new SnapshotRestorer(Shell, DataDirOwner).RestoreAsync(CommandFor, Executor(command), request, ct);
    }

    public IReadOnlyList<string> DescribeRestore(SnapshotRestoreRequest request) =>
        new SnapshotRestorer(Shell, DataDirOwner).Describe(CommandFor, Executor(CommandFor(request)), request);

    /// <summary>The same choice <see cref="RestoreSnapshotAsync"/> makes (program from the version, then host binary
    /// or image), plus `test -x` of a host binary: what discovery saw may have been removed since.</summary>
    public async Task<RestoreToolCheck> CheckRestoreToolAsync(CancellationToken ct)
    {
        RestoreCommand command;
        IRestoreExecutor executor;
        try
        {
            command = CommandFor(new SnapshotRestoreRequest("/dev/null", DataDir, Topology.MemberName, "", "", "", 0));
            executor = Executor(command);
        }
        catch (DrException ex)
        {
            return new RestoreToolCheck(false, ex.Message);
        }
        var version = Topology.EtcdVersion;
        if (executor is not HostToolExecutor)
            return new RestoreToolCheck(true, $"etcd {version}: {command.Program} from the etcd image {Topology.Image}");
        var path = (command.Program == "etcdctl" ? Topology.Etcdctl : Topology.Etcdutl).Path!;
        return await Shell.TestAsync("-x", path, ct).ConfigureAwait(false)
            ? new RestoreToolCheck(true, $"etcd {version}: {command.Program} on the host ({path})")
            : new RestoreToolCheck(false, $"{Host.Name}: {path} (etcd {version}'s {command.Program}) is not there any more or not executable; install it and plan again");
    }

    private RestoreCommand CommandFor(SnapshotRestoreRequest request) => EtcdRestoreTool.For(Host.Name, Topology.EtcdVersion, request);

    /// <summary>The host's binary when discovery found one, else the etcd image where the flavor can run it.</summary>
    private IRestoreExecutor Executor(RestoreCommand command)
    {
        var tool = command.Program == "etcdctl" ? Topology.Etcdctl : Topology.Etcdutl;
        if (tool is { Kind: "host", Path: { } path })
            return new HostToolExecutor(Shell, path);
        return ImageExecutor() ?? throw new DrException(
            $"{Host.Name}: no {command.Program} on this master for etcd {Topology.EtcdVersion}; install etcd's {command.Program} {Topology.EtcdVersion} in /usr/local/bin and plan again", FailureKind.Usage);
    }

    protected static string Describe(IReadOnlyList<string> argv) => ShellQuote.Join(argv);
}
