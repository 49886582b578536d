using System.IO.Pipelines;
using System.Text;
using EtcdDr.Storage;

namespace EtcdDr.Snapshots;

/// <summary>Where one copy of a snapshot goes. Opened once per attempt (a fail-over starts over).</summary>
public interface ISnapshotDestination
{
    string Description { get; }

    /// <summary>Refuses before any byte is streamed (an existing file without --force, say).</summary>
    void Check();

    ISnapshotTarget Open(DateTimeOffset createdAt, long revision, bool encrypted);
}

/// <summary>
/// One copy being written. Bytes go to <see cref="Stream"/>; <see cref="CommitAsync"/> makes the data
/// final and then writes the manifest; disposing without a commit removes whatever was written.
/// </summary>
public interface ISnapshotTarget : IAsyncDisposable
{
    string Location { get; }
    Stream Stream { get; }
    Task CommitAsync(SnapshotManifest manifest, CancellationToken ct);
}

/// <summary>
/// `-o FILE`: PATH.part and PATH.manifest.json.part are both written and fsynced before either is
/// renamed into place (data first), so an old snapshot and its manifest stay as they are until the
/// new pair is complete, and a new snapshot is never left at PATH without its manifest.
/// </summary>
public sealed class LocalFileDestination(string path, bool overwrite) : ISnapshotDestination
{
    public string Description => path;

    /// <summary>Refuses an existing FILE and, the same way, an existing FILE.manifest.json (or a
    /// symlink there) even when FILE is absent: it belongs to some other snapshot. With --force the
    /// manifest is replaced by rename, which replaces a symlink itself and never writes through it.</summary>
    public void Check()
    {
        var full = PartFile.CheckTarget(path, overwrite);
        var manifest = SnapshotManifest.PathFor(full);
        if (new FileInfo(manifest).LinkTarget is null && Directory.Exists(manifest))
            throw new DrException($"{manifest} is a directory; move it away or choose another -o name", FailureKind.Refused);
        if (!overwrite && PartFile.Exists(manifest))
            throw new DrException($"{manifest} already exists (while {path} does not); refusing to replace it (use --force, or choose another -o name)", FailureKind.Refused);
    }

    public ISnapshotTarget Open(DateTimeOffset createdAt, long revision, bool encrypted)
    {
        Check();
        return new Target(PartFile.Create(path, overwrite));
    }

    private sealed class Target(PartFile part) : ISnapshotTarget
    {
        public string Location => part.FinalPath;
        public Stream Stream => part.Stream;

        public async Task CommitAsync(SnapshotManifest manifest, CancellationToken ct)
        {
            var manifestPath = SnapshotManifest.PathFor(part.FinalPath);
            await part.SyncAsync(ct).ConfigureAwait(false);
            await using var manifestPart = await PartFile.WriteSyncedTextAsync(manifestPath, manifest.ToJson(), ct).ConfigureAwait(false);
            // Past this point nothing is cancellable: both renames, or the pair would disagree.
            await part.PublishAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                await manifestPart.PublishAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The old manifest would describe bytes that are no longer there.
                File.Delete(manifestPath);
                throw;
            }
        }

        public ValueTask DisposeAsync() => part.DisposeAsync();
    }
}

/// <summary>
/// `--to URL`: the snapshot goes to &lt;cluster&gt;/snapshots/&lt;time&gt;-rev&lt;rev&gt;.db[.age] in a store,
/// fed through a pipe so the store reads at its own pace while etcd streams once for every copy.
/// </summary>
public sealed class StoreDestination : ISnapshotDestination
{
    private readonly string _cluster;
    private readonly DrException? _openError;

    public StoreDestination(ISnapshotStore store, string cluster)
    {
        Store = store;
        Description = store.Description;
        _cluster = cluster;
    }

    private StoreDestination(string description, DrException openError, string cluster)
    {
        Description = description;
        _openError = openError;
        _cluster = cluster;
    }

    /// <summary>
    /// A destination whose store could not be opened (no credentials, say). It fails alone, at
    /// commit, like a store that refuses the upload, so the other destinations still get their copy.
    /// </summary>
    public static StoreDestination Unavailable(string description, DrException openError, string cluster) => new(description, openError, cluster);

    /// <summary>From <see cref="OpenedStores.TryOpen"/>: the store, or a destination that fails alone.</summary>
    public static StoreDestination For(StoreOpening opening, string cluster)
    {
        ArgumentNullException.ThrowIfNull(opening);
        return opening.Store is { } store ? new StoreDestination(store, cluster) : Unavailable(opening.Url.Original, opening.Error!, cluster);
    }

    /// <summary>
    /// Refuses before etcd streams anything when no destination can be used at all (the only one
    /// lacks credentials, say): there is nothing to stream for, and the error is the store's own.
    /// </summary>
    public static void RequireOneUsable(IReadOnlyList<ISnapshotDestination> destinations)
    {
        ArgumentNullException.ThrowIfNull(destinations);
        var unavailable = destinations.OfType<StoreDestination>().Where(d => d._openError is not null).ToList();
        if (destinations.Count == 0 || unavailable.Count < destinations.Count)
            return;
        throw new DrException(Failures.Summarize("no destination can be opened", unavailable.Select(d => $"{d.Description}: {d._openError!.Message}").ToList()),
            unavailable[0]._openError!.Kind, unavailable[0]._openError);
    }

    /// <summary>The store written to; null when it could not be opened. Prune-after-save uses this
    /// object, not the description, to find the store a copy went to.</summary>
    public ISnapshotStore? Store { get; }

    public string Description { get; }

    public void Check() => StoreLayout.SnapshotsPrefix(_cluster); // validates the cluster name

    public ISnapshotTarget Open(DateTimeOffset createdAt, long revision, bool encrypted) =>
        Store is { } store
            ? new Target(store, StoreLayout.SnapshotKeyFor(_cluster, createdAt, revision, encrypted))
            : new UnavailableTarget(Description, _openError!);

    /// <summary>Swallows the bytes (the other copies need the stream) and fails at commit.</summary>
    private sealed class UnavailableTarget(string description, DrException error) : ISnapshotTarget
    {
        public string Location => description;
        public Stream Stream => Stream.Null;

        public Task CommitAsync(SnapshotManifest manifest, CancellationToken ct) =>
            Task.FromException(new DrException($"cannot open the store: {error.Message}", error.Kind, error));

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class Target : ISnapshotTarget
    {
        private readonly ISnapshotStore _store;
        private readonly string _key;
        private readonly Pipe _pipe = new(new PipeOptions(pauseWriterThreshold: 4 << 20, resumeWriterThreshold: 2 << 20, useSynchronizationContext: false));
        private readonly CancellationTokenSource _abort = new();
        private readonly Task _upload;
        private bool _committed;

        public Target(ISnapshotStore store, string key)
        {
            _store = store;
            _key = key;
            Stream = _pipe.Writer.AsStream();
            _upload = Task.Run(async () =>
            {
                try
                {
                    await store.WriteAsync(key, (destination, ct) => _pipe.Reader.CopyToAsync(destination, ct), _abort.Token).ConfigureAwait(false);
                }
                finally
                {
                    // Always release the writer side: a store that failed early must not leave the
                    // etcd stream blocked on a full pipe. Its failure surfaces at commit.
                    await _pipe.Reader.CompleteAsync().ConfigureAwait(false);
                }
            });
        }

        public string Location => _store.Description + _key;
        public Stream Stream { get; }

        public async Task CommitAsync(SnapshotManifest manifest, CancellationToken ct)
        {
            await _pipe.Writer.CompleteAsync().ConfigureAwait(false);
            await _upload.WaitAsync(ct).ConfigureAwait(false);
            var json = Encoding.UTF8.GetBytes(manifest.ToJson());
            await _store.WriteAsync(_key + StoreLayout.ManifestSuffix, (s, t) => s.WriteAsync(json, t).AsTask(), ct).ConfigureAwait(false);
            _committed = true;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_committed)
            {
                // Fail the pipe so the store's writer throws and the backend drops the upload.
                await _pipe.Writer.CompleteAsync(new OperationCanceledException("snapshot aborted")).ConfigureAwait(false);
                await _abort.CancelAsync().ConfigureAwait(false);
                try
                {
                    await _upload.ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // Expected: the upload was aborted on purpose.
                }
            }
            _abort.Dispose();
        }
    }
}
