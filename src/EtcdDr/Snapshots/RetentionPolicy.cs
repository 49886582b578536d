namespace EtcdDr.Snapshots;

/// <summary>
/// Which snapshots survive a prune. Each rule keeps, for the newest N periods (hours, days, ISO
/// weeks, months, all in UTC) that hold at least one snapshot, the newest snapshot of each period;
/// KeepLast keeps the newest N outright. A snapshot survives if any rule keeps it. All zero keeps
/// everything: an empty policy never deletes (a typo must not wipe a bucket).
/// </summary>
public sealed record RetentionPolicy(int KeepLast = 0, int KeepHourly = 0, int KeepDaily = 0, int KeepWeekly = 0, int KeepMonthly = 0)
{
    public bool IsEmpty => KeepLast == 0 && KeepHourly == 0 && KeepDaily == 0 && KeepWeekly == 0 && KeepMonthly == 0;

    public void Validate()
    {
        if (KeepLast < 0 || KeepHourly < 0 || KeepDaily < 0 || KeepWeekly < 0 || KeepMonthly < 0)
            throw new DrException("retention counts must be zero or more", FailureKind.Usage);
    }

    public override string ToString() =>
        $"last {KeepLast}, hourly {KeepHourly}, daily {KeepDaily}, weekly {KeepWeekly}, monthly {KeepMonthly}";
}
