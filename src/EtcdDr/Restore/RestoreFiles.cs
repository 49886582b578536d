namespace EtcdDr.Restore;

/// <summary>
/// Where a restore keeps its things on the operator's machine: the journal, the lock beside it and a
/// plain copy of an encrypted snapshot (0600, in a 0700 folder). Default folder:
/// $ETCD_DR_STATE_DIR, else $XDG_STATE_HOME/etcd-dr, else ~/.local/state/etcd-dr.
/// </summary>
public sealed record RestoreFiles(string Directory, string Cluster)
{
    public static string DefaultDirectory(Func<string, string?> env) =>
        env("ETCD_DR_STATE_DIR") is { Length: > 0 } dir ? dir
        : env("XDG_STATE_HOME") is { Length: > 0 } xdg ? Path.Combine(xdg, "etcd-dr")
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state", "etcd-dr");

    public string LockPath => Path.Combine(Directory, $"restore-{Cluster}.lock");

    public string JournalPath(string stamp) => Path.Combine(Directory, $"restore-{Cluster}-{stamp}{RestoreJournal.Extension}");

    public string PlainSnapshotPath(string stamp) => Path.Combine(Directory, $"restore-{Cluster}-{stamp}.snapshot.db");

    /// <summary>The newest journal of this cluster (stamps sort by time), or null.</summary>
    public string? Newest() =>
        System.IO.Directory.Exists(Directory)
            ? System.IO.Directory.GetFiles(Directory, $"restore-{Cluster}-*{RestoreJournal.Extension}").Order(StringComparer.Ordinal).LastOrDefault()
            : null;

    public void EnsureDirectory()
    {
        if (!System.IO.Directory.Exists(Directory))
            System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
