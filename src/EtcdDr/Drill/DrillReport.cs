namespace EtcdDr.Drill;

/// <summary>One check the drill made, and what it found. A drill passes when every check passes.</summary>
public sealed record DrillCheck(string Name, bool Passed, string Detail);

/// <summary>The snapshot the drill took the way the schedule does, or fetched from the store.</summary>
public sealed record DrillSnapshot(string Location, long FileSize, long Revision, string FileSha256, bool Encrypted, string? EtcdVersion, string? Member, DateTimeOffset CreatedAt);

/// <summary>A data dir a fault or the restore moved aside (never deleted), and where it is now.</summary>
public sealed record MovedDataDir(string Host, string From, string To, string By);

/// <summary>What the canaries showed.</summary>
/// <param name="Written">Puts attempted; <paramref name="Acked"/> of them etcd acknowledged.</param>
/// <param name="NewestWrittenSequence">The newest acknowledged canary before the outage.</param>
/// <param name="NewestRecoveredSequence">The newest canary that came back after the restore (0: none).</param>
/// <param name="AckedBeforeSnapshot">Canaries acknowledged before the snapshot began: every one must come back.</param>
/// <param name="LostAcked">Acknowledged canaries that did not come back.</param>
/// <param name="Holes">Acknowledged canaries older than the newest recovered one that did not come back: a
/// restore may lose a tail of writes, never a middle.</param>
/// <param name="FailedWrites">Puts that failed (an error or no answer in time) while the writer ran.</param>
/// <param name="FailedWriteErrors">The first few of those errors.</param>
public sealed record CanaryFigures(
    int Written,
    int Acked,
    long NewestWrittenSequence,
    DateTimeOffset? NewestWrittenAt,
    long NewestRecoveredSequence,
    DateTimeOffset? NewestRecoveredAt,
    long AckedBeforeSnapshot,
    int LostAcked,
    int Holes,
    int MissingFromSnapshot,
    int FailedWrites,
    IReadOnlyList<string> FailedWriteErrors);

/// <summary>A past run's headline, read back from the history folder for the trend.</summary>
public sealed record DrillHistoryEntry(string RunId, string Cluster, string Flavor, string Scenario, DateTimeOffset StartedAt, bool Passed, double? RtoSeconds, double? RpoSeconds);

/// <summary>
/// Everything one drill found, as written to drill.json and rendered to Markdown and HTML. Times are
/// UTC; durations in seconds. RTO is outage to a whole cluster that serves a canary read and write;
/// RPO is the span of acknowledged canaries that did not come back.
/// </summary>
public sealed record DrillReport
{
    public const int CurrentFormat = 1;

    public int Format { get; init; } = CurrentFormat;
    public required string RunId { get; init; }
    public required string Cluster { get; init; }
    public required string Flavor { get; init; }
    public required string Scenario { get; init; }
    public required string ScenarioSummary { get; init; }
    public required string RestoreStrategy { get; init; }
    public required string Target { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required DateTimeOffset FinishedAt { get; init; }
    public DateTimeOffset? OutageAt { get; init; }
    public DateTimeOffset? QuorumBackAt { get; init; }
    public DateTimeOffset? RecoveredAt { get; init; }
    public double? RtoSeconds { get; init; }
    public double? RpoSeconds { get; init; }

    /// <summary>The steps between outage and recovery, summed (clipped to that window): must equal RTO.</summary>
    public double? RecoveryStepsSeconds { get; init; }
    public required bool Passed { get; init; }

    /// <summary>The first check that failed, or the error that ended the drill; null when it passed.</summary>
    public string? FailedCheck { get; init; }

    /// <summary>Ctrl-C or SIGTERM stopped the drill; <see cref="FailedCheck"/> says during which step.</summary>
    public bool Interrupted { get; init; }
    public required IReadOnlyList<DrillCheck> Checks { get; init; }
    public required IReadOnlyList<DrillStep> Steps { get; init; }
    public required IReadOnlyList<string> Hosts { get; init; }
    public DrillSnapshot? Snapshot { get; init; }
    public IReadOnlyList<string> PkiArchives { get; init; } = [];
    public CanaryFigures? Canaries { get; init; }
    public IReadOnlyList<MovedDataDir> MovedAside { get; init; } = [];
    public required IReadOnlyDictionary<string, string> ToolVersions { get; init; }
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>Past runs (oldest first), this one included, for the RTO trend; not written to history itself.</summary>
    public IReadOnlyList<DrillHistoryEntry> History { get; init; } = [];

    public DrillHistoryEntry ToHistoryEntry() => new(RunId, Cluster, Flavor, Scenario, StartedAt, Passed, RtoSeconds, RpoSeconds);
}
