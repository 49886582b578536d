using EtcdDr.Remote;

namespace EtcdDr.Topology.Runtimes;

/// <summary>Runs a <see cref="RestoreCommand"/> somewhere on the master: a host binary or the etcd image.</summary>
public interface IRestoreExecutor
{
    Task RunAsync(RestoreCommand command, SnapshotRestoreRequest request, CancellationToken ct);

    IReadOnlyList<string> Describe(RestoreCommand command, SnapshotRestoreRequest request);
}

/// <summary>The tool installed on the master (Kubespray's /usr/local/bin, an operator's copy).</summary>
public sealed class HostToolExecutor(MasterShell shell, string path) : IRestoreExecutor
{
    public async Task RunAsync(RestoreCommand command, SnapshotRestoreRequest request, CancellationToken ct) =>
        await shell.MustAsync(Argv(command), ct, shell.Options.RestoreTimeout).ConfigureAwait(false);

    public IReadOnlyList<string> Describe(RestoreCommand command, SnapshotRestoreRequest request) => [ShellQuote.Join(Argv(command))];

    private List<string> Argv(RestoreCommand command) =>
        command.Environment.Count == 0
            ? [path, .. command.Arguments]
            : ["env", .. command.Environment.Select(e => $"{e.Key}={e.Value}"), path, .. command.Arguments];
}

/// <summary>
/// `snapshot restore` into a member's data dir, safe to run again after a crash at any point.
/// etcdctl 3.4 refuses a data dir that exists at all, even empty (checked on the lab), so the tool
/// writes into the final path only when it does not exist; an existing empty one (a mount point, a
/// folder kubelet's DirectoryOrCreate made) gets the restore in DATADIR/.etcd-dr-restoring, whose
/// member folder is then renamed up (same file system, so atomic) and the empty temp folder removed.
/// A marker file beside the data dir (`.NAME.etcd-dr-restore` in its parent) says "running" before
/// the tool starts and "done" after ownership is fixed, with the request's fingerprint:
/// - target absent or empty: restore;
/// - target not empty, marker "done" for this request: already restored (ownership fixed again);
/// - target not empty, marker "running" for this request: our own half-written output; it is moved
///   aside to DATADIR.etcd-dr-partial-UTC (never deleted) and the restore runs again;
/// - anything else not empty: refused; the restore never writes over data it did not make.
/// </summary>
public sealed class SnapshotRestorer(MasterShell shell, string? owner)
{
    public const string TempName = ".etcd-dr-restoring";

    public static string MarkerPath(string dataDir) => $"{Path.GetDirectoryName(dataDir.TrimEnd('/'))}/.{Path.GetFileName(dataDir.TrimEnd('/'))}.etcd-dr-restore";

    public static string Fingerprint(SnapshotRestoreRequest r) =>
        $"member={r.MemberName} snapshot={r.SnapshotPath} token={r.InitialClusterToken} peer-urls={r.InitialAdvertisePeerUrls} cluster={r.InitialCluster} bump={r.BumpRevision}";

    /// <param name="commandFor">The tool's command for a request (its --data-dir may be the temp folder).</param>
    public async Task RestoreAsync(Func<SnapshotRestoreRequest, RestoreCommand> commandFor, IRestoreExecutor executor, SnapshotRestoreRequest request, CancellationToken ct)
    {
        var dataDir = request.DataDir.TrimEnd('/');
        var marker = MarkerPath(dataDir);
        var parent = Path.GetDirectoryName(dataDir)!;
        var fingerprint = Fingerprint(request);
        var temp = $"{dataDir}/{TempName}";
        var entries = await shell.EntriesAsync(dataDir, ct).ConfigureAwait(false);
        if (entries is { Count: > 0 })
        {
            var said = await shell.TestAsync("-f", marker, ct).ConfigureAwait(false) ? (await shell.ReadTextAsync(marker, ct).ConfigureAwait(false)).Trim() : null;
            if (said == "done " + fingerprint)
            {
                await FixOwnerAsync(dataDir, ct).ConfigureAwait(false);
                return;
            }
            if (said != "running " + fingerprint)
                throw new DrException($"{shell.Host.Name}: {dataDir} is not empty ({string.Join(", ", entries.Take(5))}); a restore never writes over data: move it aside first", FailureKind.Refused);
            // Our own half-done output: only the temp folder (the data dir itself stays, it may be a
            // mount point), or the whole data dir when the tool wrote there directly.
            var partial = $"{dataDir}.etcd-dr-partial-{shell.Options.Time.GetUtcNow():yyyyMMddTHHmmssZ}";
            var onlyTemp = entries is [TempName];
            await shell.MustAsync(["mv", "-T", "--", onlyTemp ? temp : dataDir, partial], ct).ConfigureAwait(false);
            entries = onlyTemp ? [] : null;
        }
        if (!await shell.TestAsync("-d", parent, ct).ConfigureAwait(false))
            await shell.MustAsync(["mkdir", "-p", "--", parent], ct).ConfigureAwait(false);
        await WriteMarkerAsync(marker, parent, "running " + fingerprint, ct).ConfigureAwait(false);
        if (entries is null)
        {
            await executor.RunAsync(commandFor(request), request, ct).ConfigureAwait(false);
        }
        else
        {
            var into = request with { DataDir = temp };
            await executor.RunAsync(commandFor(into), into, ct).ConfigureAwait(false);
            await shell.MustAsync(["mv", "-T", "--", $"{temp}/member", $"{dataDir}/member"], ct).ConfigureAwait(false);
            await shell.MustAsync(["rmdir", "--", temp], ct).ConfigureAwait(false);
        }
        await FixOwnerAsync(dataDir, ct).ConfigureAwait(false);
        await WriteMarkerAsync(marker, parent, "done " + fingerprint, ct).ConfigureAwait(false);
    }

    public IReadOnlyList<string> Describe(Func<SnapshotRestoreRequest, RestoreCommand> commandFor, IRestoreExecutor executor, SnapshotRestoreRequest request)
    {
        var dataDir = request.DataDir.TrimEnd('/');
        var lines = new List<string> { $"refuse unless {dataDir} is absent or empty (or holds this very restore, interrupted or done: see {MarkerPath(dataDir)})" };
        lines.AddRange(executor.Describe(commandFor(request), request));
        lines.Add($"(when {dataDir} exists empty: the same with --data-dir={dataDir}/{TempName}, then mv -T -- {dataDir}/{TempName}/member {dataDir}/member; rmdir -- {dataDir}/{TempName})");
        if (owner is not null)
            lines.Add(ShellQuote.Join(["chown", "-R", owner, dataDir]));
        return lines;
    }

    private async Task FixOwnerAsync(string dataDir, CancellationToken ct)
    {
        if (owner is not null)
            await shell.MustAsync(["chown", "-R", owner, dataDir], ct).ConfigureAwait(false);
    }

    private Task WriteMarkerAsync(string marker, string parent, string text, CancellationToken ct) =>
        shell.WriteAtomicallyAsync(marker, text + "\n", parent, "600", "root:root", ct);
}
