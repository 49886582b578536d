using EtcdDr.Remote;
using EtcdDr.Topology;

namespace EtcdDr.Restore;

/// <summary>Makes the flavor runtime for a master from what was discovered there (the runtimes' factory).</summary>
public delegate IEtcdRuntime EtcdRuntimeFactory(MasterTopology topology, IRemoteHost host);

/// <summary>
/// What steps act through: the runtime of each host (by inventory name), the etcd API, the local
/// snapshot, a clock. Steps never reach Process or File for a master; only <see cref="IRemoteHost"/>.
/// </summary>
/// <param name="Decrypt">Opens an age-encrypted stream with the operator's identities (PKI archive); null: none given.</param>
/// <param name="PollInterval">How often waits ask etcd again.</param>
public sealed record RestoreContext(
    RestorePlan Plan,
    IReadOnlyDictionary<string, IEtcdRuntime> Runtimes,
    IRestoreCluster Cluster,
    TimeProvider Time,
    Func<Stream, Stream>? Decrypt = null,
    TimeSpan? PollInterval = null)
{
    /// <summary>Steps the journal shows as begun before this run: a retry must clean up what a killed attempt left.</summary>
    public IReadOnlySet<int> BegunBefore { get; init; } = new HashSet<int>();

    /// <summary>Steps of one group run at once (the default); false runs them in plan order, for a transcript
    /// that is the same on every run.</summary>
    public bool GroupsInParallel { get; init; } = true;

    public TimeSpan Poll => PollInterval ?? TimeSpan.FromSeconds(1);

    public IEtcdRuntime Runtime(string host) =>
        Runtimes.TryGetValue(host, out var runtime) ? runtime
            : throw new DrException($"{host}: no runtime for this master (not in the plan's topology)", FailureKind.General);

    public IRemoteHost Host(string host) => Runtime(host).Host;
}
