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
/// `snapshot restore` into a member's data dir, safe to run again after a crash at any point. A
/// marker file beside the data dir (`.NAME.etcd-dr-restore` in its parent) says "running" before
/// the tool starts and "done" after ownership is fixed, with the request's fingerprint:
/// - target absent or empty: restore;
/// - target not empty, marker "done" for this request: already restored (ownership fixed again);
/// - target not empty, marker "running" for this request: our own half-written output; it is moved
///   aside to DATADIR.etcd-dr-partial-UTC (never deleted) and the restore runs again;
/// - anything else not empty: refused; the restore never writes over data it did not make.
/// </summary>
public sealed class SnapshotRestorer(MasterShell shell, string? owner)
{
    public static string MarkerPath(string dataDir) => $"{Path.GetDirectoryName(dataDir.TrimEnd('/'))}/.{Path.GetFileName(dataDir.TrimEnd('/'))}.etcd-dr-restore";

    public static string Fingerprint(SnapshotRestoreRequest r) =>
        $"member={r.MemberName} snapshot={r.SnapshotPath} token={r.InitialClusterToken} peer-urls={r.InitialAdvertisePeerUrls} cluster={r.InitialCluster} bump={r.BumpRevision}";

    public async Task RestoreAsync(RestoreCommand command, IRestoreExecutor executor, SnapshotRestoreRequest request, CancellationToken ct)
    {
        var dataDir = request.DataDir.TrimEnd('/');
        var marker = MarkerPath(dataDir);
        var parent = Path.GetDirectoryName(dataDir)!;
        var fingerprint = Fingerprint(request);
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
            var partial = $"{dataDir}.etcd-dr-partial-{shell.Options.Time.GetUtcNow():yyyyMMddTHHmmssZ}";
            await shell.MustAsync(["mv", "-T", "--", dataDir, partial], ct).ConfigureAwait(false);
        }
        if (!await shell.TestAsync("-d", parent, ct).ConfigureAwait(false))
            await shell.MustAsync(["mkdir", "-p", "--", parent], ct).ConfigureAwait(false);
        await WriteMarkerAsync(marker, parent, "running " + fingerprint, ct).ConfigureAwait(false);
        await executor.RunAsync(command, request, ct).ConfigureAwait(false);
        await FixOwnerAsync(dataDir, ct).ConfigureAwait(false);
        await WriteMarkerAsync(marker, parent, "done " + fingerprint, ct).ConfigureAwait(false);
    }

    public IReadOnlyList<string> Describe(RestoreCommand command, IRestoreExecutor executor, SnapshotRestoreRequest request)
    {
        var dataDir = request.DataDir.TrimEnd('/');
        var lines = new List<string> { $"refuse unless {dataDir} is absent or empty (or holds this very restore, interrupted or done: see {MarkerPath(dataDir)})" };
        lines.AddRange(executor.Describe(command, request));
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
