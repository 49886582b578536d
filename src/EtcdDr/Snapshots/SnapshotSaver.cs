using EtcdDr.Etcd;

namespace EtcdDr.Snapshots;

/// <summary>The saved snapshot and every endpoint that was tried before it.</summary>
public sealed record SnapshotSaveResult(string Path, string ManifestPath, SnapshotManifest Manifest, IReadOnlyList<string> FailedAttempts);

/// <summary>
/// `snapshot save`: stream from one healthy member (a follower when there is one), check etcd's
/// SHA-256 trailer on the way, write PATH.part (0600), fsync, rename, then write the manifest. A
/// member that fails mid-stream is replaced by the next one and the part file started over.
/// </summary>
public sealed class SnapshotSaver(EtcdClient client, TimeProvider time)
{
    public async Task<SnapshotSaveResult> SaveAsync(SnapshotSaveRequest request, IProgress<SnapshotProgress>? progress,
        TextWriter log, CancellationToken ct)
    {
        var statuses = await client.StatusAllAsync(ct).ConfigureAwait(false);
        var candidates = EndpointChoice.Order(statuses);
        if (candidates.Count == 0)
        {
            throw new DrException(Failures.Summarize("no etcd endpoint answered", statuses.Select(s => s.Error!.Message).ToList()), FailureKind.Unreachable);
        }
        PartFile.CheckTarget(request.OutputPath, request.Overwrite); // refuse before streaming anything

        var names = await MemberNamesAsync(ct).ConfigureAwait(false);
        var failures = statuses.Where(s => s.Error is not null).Select(s => s.Error!.Message).ToList();
        foreach (var candidate in candidates)
        {
            try
            {
                return await SaveFromAsync(candidate, names, request, progress, failures, ct).ConfigureAwait(false);
            }
            catch (DrException ex) when (ex.Kind is FailureKind.Unreachable or FailureKind.Integrity && !ct.IsCancellationRequested)
            {
                // The member died or sent bad data; the part file is gone, try the next member.
                failures.Add(ex.Message);
                await log.WriteLineAsync($"snapshot failed, trying the next member: {ex.Message}").ConfigureAwait(false);
            }
        }
        throw new DrException(Failures.Summarize("no member produced a good snapshot", failures), FailureKind.Unreachable);
    }

    private async Task<SnapshotSaveResult> SaveFromAsync(EndpointStatus source, IReadOnlyDictionary<ulong, string> names,
        SnapshotSaveRequest request, IProgress<SnapshotProgress>? progress, List<string> failures, CancellationToken ct)
    {
        var status = source.Status!;
        var started = time.GetTimestamp();
        var createdAt = time.GetUtcNow();
        var manifestPath = SnapshotManifest.PathFor(Path.GetFullPath(request.OutputPath));

        await using var part = PartFile.Create(request.OutputPath, request.Overwrite);
        StreamedSnapshot streamed;
        long fileSize;
        string fileSha;
        using (var hashing = new HashingWriteStream(part.Stream, leaveOpen: true))
        {
            var sink = request.Encryption?.Wrap(hashing) ?? hashing;
            using (var stream = await client.OpenSnapshotAsync(source.Endpoint, ct).ConfigureAwait(false))
                streamed = await SnapshotStreamer.CopyAsync(stream, sink, progress, ct).ConfigureAwait(false);
            if (!ReferenceEquals(sink, hashing))
                await sink.DisposeAsync().ConfigureAwait(false); // finishes the ciphertext
            fileSize = hashing.BytesWritten;
            fileSha = hashing.Sha256Hex();
        }

        // An old manifest next to a file we are about to replace would describe the wrong bytes.
        File.Delete(manifestPath);
        await part.CommitAsync(ct).ConfigureAwait(false);

        var manifest = new SnapshotManifest
        {
            ClusterId = EtcdIds.Format(status.Header.ClusterId),
            MemberId = EtcdIds.Format(status.Header.MemberId),
            MemberName = names.GetValueOrDefault(status.Header.MemberId),
            Endpoint = EtcdConnectionOptions.Name(source.Endpoint),
            EtcdVersion = status.Version,
            Revision = Math.Max(status.Header.Revision, streamed.Header?.Revision ?? 0),
            RaftIndex = status.RaftIndex,
            RaftTerm = status.RaftTerm,
            DbSize = status.DbSize,
            FileSize = fileSize,
            FileSha256 = fileSha,
            SnapshotSize = streamed.Bytes,
            SnapshotSha256Trailer = streamed.TrailerHex,
            Encrypted = request.Encryption is not null,
            Recipients = request.Encryption?.Recipients,
            CreatedAt = createdAt,
            DurationSeconds = Math.Round(time.GetElapsedTime(started).TotalSeconds, 3),
            ToolVersion = ToolVersion.Current,
        };
        await PartFile.WriteAllTextAsync(manifestPath, manifest.ToJson(), ct).ConfigureAwait(false);
        return new SnapshotSaveResult(part.FinalPath, manifestPath, manifest, failures);
    }

    private async Task<IReadOnlyDictionary<ulong, string>> MemberNamesAsync(CancellationToken ct)
    {
        try
        {
            var list = await client.MemberListAsync(ct).ConfigureAwait(false);
            return list.Members.ToDictionary(m => m.ID, m => m.Name);
        }
        catch (DrException)
        {
            return new Dictionary<ulong, string>(); // names are a nicety; the snapshot is not
        }
    }
}
