using EtcdDr.Remote;

namespace EtcdDr.Topology;

/// <summary>
/// Everything a restore DOES on one master, the way that master's flavor needs it done. One
/// implementation per flavor (kubeadm static pod, Kubespray host deployment, later Kubespray docker);
/// the restore never branches on the flavor itself. Every method works through
/// <see cref="IRemoteHost"/> argument lists, so a whole restore is a recorded transcript in tests.
///
/// Rules every implementation keeps (the restore's crash-resume depends on them):
/// - every Stop/Start/Move is idempotent: run twice, or after a crash half-way, it ends in the same state;
/// - Stop methods return only once the thing really is stopped (process gone, ports closed);
///   Start methods once it really runs (for etcd: its client port listens; health is the caller's);
/// - a data dir is never deleted, only moved aside;
/// - configuration edits change only the named flags/variables; every other byte stays.
/// </summary>
public interface IEtcdRuntime
{
    /// <summary>What discovery read at plan time. The runtime acts on this, never rediscovers.</summary>
    MasterTopology Topology { get; }

    IRemoteHost Host { get; }

    /// <summary>The data dir on the host (not inside a pod).</summary>
    string DataDir => Topology.DataDir;

    /// <summary>"user:group" the restored data dir must belong to; null when etcd runs as root.</summary>
    string? DataDirOwner { get; }

    // ---- Kubernetes control plane around etcd ----

    /// <summary>
    /// Stops what writes to etcd and what would restart it behind our back: the kube-apiserver,
    /// kube-controller-manager and kube-scheduler static pods (manifests parked outside the
    /// manifests folder) and the kubelet, where the master has them. Waits until they are gone.
    /// </summary>
    Task StopControlPlaneAsync(CancellationToken ct);

    /// <summary>Undoes <see cref="StopControlPlaneAsync"/>: kubelet started, parked manifests put back.</summary>
    Task StartControlPlaneAsync(CancellationToken ct);

    /// <summary>What the two calls above do, as lines for the plan (commands and files moved).</summary>
    IReadOnlyList<string> DescribeControlPlane(bool stop);

    // ---- etcd itself ----

    Task StopEtcdAsync(CancellationToken ct);

    Task StartEtcdAsync(CancellationToken ct);

    /// <summary>Whether the member's process runs (kubelet pod or systemd unit, and its port listens).</summary>
    Task<bool> IsEtcdRunningAsync(CancellationToken ct);

    IReadOnlyList<string> DescribeEtcd(bool stop);

    // ---- configuration (manifest flags / env file variables) ----

    /// <summary>
    /// Pure: <paramref name="text"/> (the config file) with the settings changed. Keys are etcd flag
    /// names without dashes ("initial-cluster-state", "force-new-cluster"); the runtime maps them to
    /// its format (--flag in the manifest's command, ETCD_INITIAL_CLUSTER_STATE in the env file). A
    /// null value removes the setting. Every other line, comment and byte is kept.
    /// </summary>
    string EditConfig(string text, IReadOnlyDictionary<string, string?> settings);

    /// <summary>Reads the config file as it is on the master now.</summary>
    Task<string> ReadConfigAsync(CancellationToken ct);

    /// <summary>Writes the config file atomically, keeping its mode and owner.</summary>
    Task WriteConfigAsync(string text, CancellationToken ct);

    // ---- data dir and snapshot restore ----

    /// <summary>Moves <see cref="DataDir"/> to <paramref name="aside"/> (never deletes); a no-op when
    /// DataDir is already gone and aside exists (a resumed run).</summary>
    Task MoveDataDirAsideAsync(string aside, CancellationToken ct);

    /// <summary>
    /// Restores <paramref name="request"/>'s snapshot (already on this master) into its data dir with the
    /// tool that fits the etcd version: etcdctl 3.4, etcdutl 3.5+ (with --bump-revision/--mark-compacted
    /// from 3.5.10), from the host or from the etcd image when the host has none. Refuses a non-empty
    /// target. Fixes ownership to <see cref="DataDirOwner"/> afterwards.
    /// </summary>
    Task RestoreSnapshotAsync(SnapshotRestoreRequest request, CancellationToken ct);

    /// <summary>The command line(s) <see cref="RestoreSnapshotAsync"/> will run, for the plan.</summary>
    IReadOnlyList<string> DescribeRestore(SnapshotRestoreRequest request);

    /// <summary>
    /// Read-only, for the preflight: whether <see cref="RestoreSnapshotAsync"/> has a tool that fits the
    /// etcd version discovery found, and which (the host's binary, checked to be there, or the etcd
    /// image). Added after the first runtimes: the default says "not known", so a runtime that does
    /// not answer is refused before any change rather than failing half-way through a restore.
    /// </summary>
    Task<RestoreToolCheck> CheckRestoreToolAsync(CancellationToken ct) =>
        Task.FromResult(new RestoreToolCheck(false, $"{Host.Name}: the {Topology.Flavor} runtime cannot say which restore tool it would use"));
}

/// <summary>What <see cref="IEtcdRuntime.CheckRestoreToolAsync"/> found: usable or not, and in words.</summary>
public sealed record RestoreToolCheck(bool Ok, string Detail);

/// <summary>One member's `snapshot restore`, as paths on the master.</summary>
/// <param name="SnapshotPath">The snapshot file on the master (hash already checked there).</param>
/// <param name="DataDir">Target data dir on the host; must not exist or be empty.</param>
/// <param name="BumpRevision">etcd 3.5.10+: added to the revision so watchers see "compacted"; 0 = off.</param>
public sealed record SnapshotRestoreRequest(
    string SnapshotPath,
    string DataDir,
    string MemberName,
    string InitialCluster,
    string InitialAdvertisePeerUrls,
    string InitialClusterToken,
    long BumpRevision = 0);
