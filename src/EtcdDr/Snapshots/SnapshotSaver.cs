using EtcdDr.Etcd;

namespace EtcdDr.Snapshots;

/// <summary>How one destination fared: where the copy landed, or why it did not.</summary>
public sealed record DestinationOutcome(string Destination, string? Location, string? Error)
{
    public bool Succeeded => Error is null;
}

/// <summary>The snapshot, where its copies are, and every endpoint that was tried before it.</summary>
public sealed record SnapshotSaveResult(SnapshotManifest Manifest, IReadOnlyList<DestinationOutcome> Destinations, IReadOnlyList<string> FailedAttempts)
{
    public bool Partial => Destinations.Any(d => !d.Succeeded);

    /// <summary>The first copy that landed (the file, for `-o FILE`).</summary>
    public string Path => Destinations.First(d => d.Succeeded).Location!;
}

/// <summary>
/// `snapshot save`: stream from one healthy member (a follower when there is one), check etcd's
/// SHA-256 trailer on the way, and only then commit every destination and write its manifest. A
/// member that fails mid-stream is replaced by the next one and every destination started over. A
/// destination that fails is reported while the others still get their copy.
/// </summary>
public sealed class SnapshotSaver(EtcdClient client, TimeProvider time)
{
    public async Task<SnapshotSaveResult> SaveAsync(SnapshotSaveRequest request, IProgress<SnapshotProgress>? progress,
        TextWriter log, CancellationToken ct)
    {
        if (request.Destinations.Count == 0)
            throw new DrException("no destination: give -o FILE and/or --to URL", FailureKind.Usage);
        foreach (var destination in request.Destinations)
            destination.Check(); // refuse before streaming anything

        var statuses = await client.StatusAllAsync(ct).ConfigureAwait(false);
        var candidates = EndpointChoice.Order(statuses);
        if (candidates.Count == 0)
            throw new DrException(Failures.Summarize("no etcd endpoint answered", statuses.Select(s => s.Error!.Message).ToList()), FailureKind.Unreachable);

        client.Prefer(candidates[0].Endpoint);
        var names = await MemberNamesAsync(ct).ConfigureAwait(false);
        var failures = statuses.Where(s => s.Error is not null).Select(s => s.Error!.Message).ToList();
        var streamFailures = new List<DrException>();
        foreach (var candidate in candidates)
        {
            try
            {
                return await SaveFromAsync(candidate, names, request, progress, failures, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ct.IsCancellationRequested && ex is not OperationCanceledException)
            {
                // Whatever the interrupted stream threw on its way out, the operator pressed Ctrl-C.
                throw new OperationCanceledException("interrupted", ex, ct);
            }
            catch (DrException ex) when (IsMemberFailure(ex))
            {
                // The member died or sent bad data; every partial copy is gone, try the next member.
                failures.Add(ex.Message);
                streamFailures.Add(ex);
                await log.WriteLineAsync($"snapshot failed, trying the next member: {ex.Message}").ConfigureAwait(false);
            }
        }
        // Every member we streamed from sent corrupt data: that is an integrity failure (exit 3),
        // not an unreachable cluster, and the operator should look at the members' disks.
        var kind = streamFailures.All(f => f.Kind == FailureKind.Integrity) ? FailureKind.Integrity : FailureKind.Unreachable;
        throw new DrException(Failures.Summarize("no member produced a good snapshot", failures), kind);
    }

    /// <summary>Another member may do better: it was unreachable, stalled, cut the stream, or sent
    /// corrupt or malformed data. A destination failure or a refusal is not the member's fault, nor
    /// is an auth refusal: every member shares one auth store and would refuse the same way.</summary>
    private static bool IsMemberFailure(DrException ex) =>
        ex is not EtcdAuthException && (ex is GrpcException { IsEndpointFailure: true } || ex.Kind is FailureKind.Unreachable or FailureKind.Integrity);

    private async Task<SnapshotSaveResult> SaveFromAsync(EndpointStatus source, IReadOnlyDictionary<ulong, string> names,
        SnapshotSaveRequest request, IProgress<SnapshotProgress>? progress, List<string> failures, CancellationToken ct)
    {
        var status = source.Status!;
        var started = time.GetTimestamp();
        var createdAt = time.GetUtcNow();
        var encrypted = request.Encryption is not null;

        var targets = new List<ISnapshotTarget>();
        try
        {
            foreach (var destination in request.Destinations)
                targets.Add(destination.Open(createdAt, status.Header.Revision, encrypted));
            var fanOut = new FanOutStream(targets);
            StreamedSnapshot streamed;
            long fileSize;
            string fileSha;
            // A plain snapshot's file bytes are the stream's bytes, which SnapshotStreamer hashes
            // anyway; only an encrypted one needs its own hash of what lands in the file.
            using (var hashing = new HashingWriteStream(fanOut, leaveOpen: true, hash: encrypted))
            {
                // Encrypted while streaming: plaintext never reaches a destination.
                var age = request.Encryption is { } e ? PkiVault.Age.AgeWriter.Create(hashing, e.Recipients, armor: false, leaveOpen: true) : null;
                try
                {
                    using (var stream = await client.OpenSnapshotAsync(source.Endpoint, ct).ConfigureAwait(false))
                        streamed = await SnapshotStreamer.CopyAsync(stream, (Stream?)age ?? hashing, progress, ct).ConfigureAwait(false);
                    if (age is not null)
                        await age.FinishAsync(ct).ConfigureAwait(false);
                }
                catch
                {
                    // Never seal a final chunk over a failed stream: it would decrypt as a whole file.
                    age?.Abort();
                    throw;
                }
                finally
                {
                    if (age is not null)
                        await age.DisposeAsync().ConfigureAwait(false);
                }
                await fanOut.FlushAsync(ct).ConfigureAwait(false);
                fileSize = hashing.BytesWritten;
                fileSha = encrypted ? hashing.Sha256Hex() : streamed.Sha256Hex;
            }

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
                Encrypted = encrypted,
                Recipients = request.Encryption?.Descriptions,
                CreatedAt = createdAt,
                DurationSeconds = Math.Round(time.GetElapsedTime(started).TotalSeconds, 3),
                ToolVersion = ToolVersion.Current,
            };

            var outcomes = new List<DestinationOutcome>();
            for (var i = 0; i < targets.Count; i++)
            {
                var description = request.Destinations[i].Description;
                if (fanOut.Failed.TryGetValue(targets[i], out var streamError))
                {
                    outcomes.Add(new DestinationOutcome(description, null, Failures.Describe(streamError)));
                    continue;
                }
                try
                {
                    await targets[i].CommitAsync(manifest, ct).ConfigureAwait(false);
                    outcomes.Add(new DestinationOutcome(description, targets[i].Location, null));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or DrException or HttpRequestException or InvalidOperationException)
                {
                    outcomes.Add(new DestinationOutcome(description, null, Failures.Describe(ex)));
                }
            }
            if (outcomes.All(o => !o.Succeeded))
                throw new DrException(Failures.Summarize("the snapshot was good but no destination stored it", outcomes.Select(o => $"{o.Destination}: {o.Error}").ToList()), FailureKind.General);
            return new SnapshotSaveResult(manifest, outcomes, failures);
        }
        finally
        {
            foreach (var target in targets)
                await target.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<IReadOnlyDictionary<ulong, string>> MemberNamesAsync(CancellationToken ct)
    {
        try
        {
            var list = await client.MemberListAsync(ct).ConfigureAwait(false);
            return list.Members.ToDictionary(m => m.ID, m => m.Name);
        }
        catch (DrException ex) when (ex is not EtcdAuthException)
        {
            return new Dictionary<ulong, string>(); // names are a nicety; the snapshot is not
        }
    }
}
