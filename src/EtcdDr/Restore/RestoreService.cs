using EtcdDr.Remote;
using EtcdDr.Snapshots;
using EtcdDr.Storage;

namespace EtcdDr.Restore;

/// <summary>What the operator asked for on the command line (the CLI's options record).</summary>
/// <param name="SnapshotFile">--snapshot FILE (plain or age-encrypted; FILE.manifest.json is used when present).</param>
/// <param name="FromUrl">--from URL with <paramref name="FromKey"/> (KEY or latest): fetched into the state folder, hash-checked.</param>
/// <param name="FromMember">--from-member NAME (no snapshot).</param>
/// <param name="RepairMember">`restore member NAME`.</param>
/// <param name="Strategy">--strategy; null: snapshot-all with a snapshot, from-member with --from-member.</param>
/// <param name="StateDirectory">Journals, the lock and plain snapshot copies (RestoreFiles).</param>
public sealed record RestoreOptions(
    string Inventory,
    string? ClusterName,
    string? SnapshotFile,
    string? FromUrl,
    string? FromKey,
    string? FromMember,
    string? RepairMember,
    RestoreStrategy? Strategy,
    IReadOnlyDictionary<string, string> Replace,
    string? PkiArchive,
    IReadOnlyList<string> Identities,
    bool Force,
    bool Tunnel,
    bool AcceptNewHostKeys,
    string StateDirectory)
{
    public RestoreStrategy EffectiveStrategy()
    {
        var sources = new[] { SnapshotFile is not null, FromUrl is not null, FromMember is not null, RepairMember is not null }.Count(x => x);
        if (sources != 1)
            throw new DrException(RepairMember is not null ? "restore member takes no snapshot" : "give exactly one of --snapshot FILE, --from URL [KEY|latest] or --from-member NAME", FailureKind.Usage);
        if (RepairMember is not null)
            return RestoreStrategy.RepairMember;
        if (FromMember is not null)
        {
            if (Strategy is not null and not RestoreStrategy.FromMember)
                throw new DrException("--from-member always recovers by force-new-cluster from that member; drop --strategy", FailureKind.Usage);
            return RestoreStrategy.FromMember;
        }
        return Strategy switch
        {
            null or RestoreStrategy.SnapshotAll => RestoreStrategy.SnapshotAll,
            RestoreStrategy.ForceNewCluster => RestoreStrategy.ForceNewCluster,
            _ => throw new DrException("--strategy is snapshot-all or force-new-cluster", FailureKind.Usage),
        };
    }
}

/// <summary>A restore planned and preflighted, ready to run (or just to show).</summary>
public sealed class PreparedRestore(RestoreSession session, RestorePlan plan, IReadOnlyList<PreflightCheck> preflight, RestoreFiles files,
    RestoreLock? runLock, IReadOnlyList<string> temporaryFiles) : IAsyncDisposable
{
    public RestoreSession Session => session;
    public RestorePlan Plan => plan;
    public IReadOnlyList<PreflightCheck> Preflight => preflight;
    public RestoreFiles Files => files;
    public IReadOnlyList<string> TemporaryFiles => temporaryFiles;

    /// <summary>The first failed check as the error it is (exit code by kind), or null.</summary>
    public DrException? Refusal =>
        preflight.Where(c => !c.Ok).ToList() is { Count: > 0 } failed
            ? new DrException(Failures.Summarize("preflight failed, nothing was changed", failed.Select(c => $"{c.Host}: {c.Name}: {c.Detail}").ToList()),
                failed.Any(c => c.Kind == FailureKind.Refused) ? FailureKind.Refused : failed[0].Kind)
            : null;

    public async ValueTask DisposeAsync()
    {
        await session.DisposeAsync().ConfigureAwait(false);
        runLock?.Dispose();
    }
}

/// <summary>How a run ended: the journal, and what it says.</summary>
public sealed record RestoreOutcome(JournalState Journal);

/// <summary>
/// `restore plan|run|resume|member` as one service: the snapshot verified first, then the masters read,
/// the plan made, preflight run, and only then, for run, the journal started and the steps done.
/// </summary>
public sealed class RestoreService(EtcdRuntimeFactory runtimes, TimeProvider time, TextWriter log)
{
    /// <param name="forRun">Take the lock and refuse when an unfinished journal exists (run, member); plan takes neither.</param>
    public async Task<PreparedRestore> PrepareAsync(RestoreOptions options, Func<Stream, Stream>? decrypt, bool forRun, CancellationToken ct)
    {
        var strategy = options.EffectiveStrategy();
        var inventory = RestoreSession.WithReplacements(InventoryLoader.Load(options.Inventory, options.ClusterName), options.Replace);
        var files = new RestoreFiles(options.StateDirectory, inventory.Cluster);
        files.EnsureDirectory();
        RestoreLock? runLock = null;
        var temporary = new List<string>();
        try
        {
            if (forRun)
            {
                runLock = RestoreLock.Acquire(files.LockPath);
                if (files.Newest() is { } previous && !RestoreJournal.Read(previous).IsFinished)
                    throw new DrException($"an unfinished restore is journaled at {previous}: continue it with `etcd-dr restore resume`, see it with `etcd-dr restore status`, or move the journal away to start over", FailureKind.Refused);
            }
            var stamp = RestoreRequest.NewStamp(time.GetUtcNow());
            var snapshot = await SnapshotAsync(options, strategy, files, stamp, decrypt, temporary, ct).ConfigureAwait(false);
            var request = new RestoreRequest(strategy, snapshot, options.FromMember ?? options.RepairMember, options.Replace, options.PkiArchive is null ? null : Path.GetFullPath(options.PkiArchive),
                options.Identities.Select(Path.GetFullPath).ToList(), options.Force, stamp);
            var session = await RestoreSession.OpenAsync(inventory, new SshOptions(options.AcceptNewHostKeys), runtimes, options.Tunnel, journaled: null, log, ct).ConfigureAwait(false);
            try
            {
                var plan = RestorePlanner.Plan(request, session.Topology, session.Runtimes, session.EndpointUrls);
                var preflight = await RestorePreflight.CheckAsync(plan, session.Runtimes, session.Cluster, ct).ConfigureAwait(false);
                return new PreparedRestore(session, plan, preflight, files, runLock, temporary);
            }
            catch
            {
                await session.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        catch
        {
            runLock?.Dispose();
            foreach (var f in temporary)
                File.Delete(f);
            throw;
        }
    }

    private static async Task<SnapshotSource?> SnapshotAsync(RestoreOptions options, RestoreStrategy strategy, RestoreFiles files, string stamp,
        Func<Stream, Stream>? decrypt, List<string> temporary, CancellationToken ct)
    {
        if (strategy is RestoreStrategy.FromMember or RestoreStrategy.RepairMember)
            return null;
        var plain = files.PlainSnapshotPath(stamp);
        if (options.SnapshotFile is { } file)
        {
            temporary.Add(plain);
            return await SnapshotPreparation.PrepareAsync(Path.GetFullPath(file), file, decrypt, plain, ct).ConfigureAwait(false);
        }
        await using var stores = new OpenedStores();
        var store = stores.Open(options.FromUrl!);
        var fetchedPath = Path.Combine(files.Directory, $"restore-{files.Cluster}-{stamp}.fetched");
        temporary.Add(fetchedPath);
        temporary.Add(SnapshotManifest.PathFor(fetchedPath));
        var fetched = await SnapshotFetch.FetchAsync(store, files.Cluster, options.FromKey ?? "latest", fetchedPath, force: false, ct).ConfigureAwait(false);
        temporary.Add(plain);
        return await SnapshotPreparation.PrepareAsync($"{options.FromUrl} {fetched.Entry.Key}", fetchedPath, decrypt, plain, ct).ConfigureAwait(false);
    }

    /// <summary>Runs a prepared plan from its first step, journaling each.</summary>
    public async Task<RestoreOutcome> RunAsync(PreparedRestore prepared, Func<Stream, Stream>? decrypt, IProgress<StepEvent>? progress, CancellationToken ct)
    {
        if (prepared.Refusal is { } refusal)
            throw refusal;
        var journal = RestoreJournal.Create(prepared.Files.JournalPath(prepared.Plan.Request.Stamp), prepared.Plan, time);
        var context = new RestoreContext(prepared.Plan, prepared.Session.Runtimes, prepared.Session.Cluster, time, decrypt);
        await new RestoreRunner(context, journal, progress).RunAsync(0, ct).ConfigureAwait(false);
        Cleanup(prepared.TemporaryFiles);
        return new RestoreOutcome(RestoreJournal.Read(journal.Path));
    }

    /// <summary>Continues a journal: masters compared with the plan, then from the first step without an end, re-checking it.</summary>
    public async Task<RestoreOutcome> ResumeAsync(string journalPath, RestoreOptions options, Func<Stream, Stream>? decrypt, IProgress<StepEvent>? progress, CancellationToken ct)
    {
        var state = RestoreJournal.Read(journalPath);
        if (state.IsFinished)
            throw new DrException($"{journalPath}: this restore finished; nothing to resume", FailureKind.Usage);
        var plan = state.Plan;
        var inventory = RestoreSession.WithReplacements(InventoryLoader.Load(options.Inventory, options.ClusterName), plan.Request.Replacements);
        var files = new RestoreFiles(Path.GetDirectoryName(Path.GetFullPath(journalPath))!, inventory.Cluster);
        using var runLock = RestoreLock.Acquire(files.LockPath);
        await using var session = await RestoreSession.OpenAsync(inventory, new SshOptions(options.AcceptNewHostKeys), runtimes, options.Tunnel, plan.Topology, log, ct).ConfigureAwait(false);
        var journal = RestoreJournal.Open(journalPath, time);
        var context = new RestoreContext(plan, session.Runtimes, session.Cluster, time, decrypt) { BegunBefore = state.Begun };
        await new RestoreRunner(context, journal, progress).RunAsync(state.NextStep, ct).ConfigureAwait(false);
        var stamp = plan.Request.Stamp;
        Cleanup([files.PlainSnapshotPath(stamp), Path.Combine(files.Directory, $"restore-{files.Cluster}-{stamp}.fetched"),
            SnapshotManifest.PathFor(Path.Combine(files.Directory, $"restore-{files.Cluster}-{stamp}.fetched"))]);
        return new RestoreOutcome(RestoreJournal.Read(journalPath));
    }

    /// <summary>Only our own copies (a fetched or decrypted snapshot), once the restore is complete.</summary>
    private static void Cleanup(IEnumerable<string> temporary)
    {
        foreach (var f in temporary)
            File.Delete(f);
    }
}
