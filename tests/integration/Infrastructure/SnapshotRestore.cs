namespace EtcdDr.IntegrationTests.Infrastructure;

/// <summary>The flags of one member's <c>etcdctl snapshot restore</c>.</summary>
public sealed record SnapshotRestoreRequest(
    string SnapshotFile,
    string Name,
    string DataDir,
    string InitialCluster,
    string InitialAdvertisePeerUrl,
    string InitialClusterToken);

/// <summary>
/// Proves a snapshot restores with the real tool: <c>etcdctl snapshot restore</c> (etcd 3.4; etcdutl
/// from 3.5) WITH its SHA-256 hash check, then real etcd on the restored data dir.
/// </summary>
public static class SnapshotRestore
{
    /// <summary>
    /// Restores <paramref name="snapshotFile"/> into fresh members and starts them; read keys back from the
    /// returned cluster. <paramref name="options"/> picks member count and TLS (default: one plain member).
    /// Throws if etcdctl refuses the snapshot (bad hash, truncated file) or etcd does not come up.
    /// </summary>
    public static Task<EtcdCluster> RestoreAndStartAsync(
        string snapshotFile, EtcdClusterOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(snapshotFile))
            throw new FileNotFoundException("Snapshot to restore does not exist.", snapshotFile);
        var effective = (options ?? new EtcdClusterOptions { Name = "restored" }) with
        {
            RestoreFromSnapshot = Path.GetFullPath(snapshotFile),
        };
        return EtcdCluster.StartAsync(effective, cancellationToken);
    }

    /// <summary>
    /// Just the restore step, result returned as is (not thrown), so a test can assert that a corrupted
    /// snapshot is refused. The data dir must not exist yet: etcdctl refuses to restore over one.
    /// </summary>
    public static Task<ProcessResult> RestoreDataDirAsync(SnapshotRestoreRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        string[] arguments =
        [
            "snapshot", "restore", request.SnapshotFile,
            "--name", request.Name,
            "--data-dir", request.DataDir,
            "--initial-cluster", request.InitialCluster,
            "--initial-advertise-peer-urls", request.InitialAdvertisePeerUrl,
            "--initial-cluster-token", request.InitialClusterToken,
        ];
        return ProcessRunner.RunAsync(
            Prerequisites.Etcdctl, arguments, EtcdCluster.EtcdctlProcessOptions(TimeSpan.FromSeconds(120)), cancellationToken);
    }
}
