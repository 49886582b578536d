using EtcdDr.Snapshots;

namespace EtcdDr.Tests.Snapshots;

public class RetentionTests
{
    private static DateTimeOffset At(int month, int day, int hour) => new(2025, month, day, hour, 30, 0, TimeSpan.Zero);

    /// <summary>Hourly snapshots at :30 through 2025, as a timer on the masters would leave them.</summary>
    private static List<RetentionCandidate> YearOfHourly()
    {
        var list = new List<RetentionCandidate>();
        for (var t = At(1, 1, 0); t.Year == 2025; t = t.AddHours(1))
            list.Add(new RetentionCandidate($"c/snapshots/{t:yyyyMMddTHHmmss}Z-rev1.db", t, Verified: true));
        return list;
    }

    [Fact]
    public void A_year_of_hourly_snapshots_keeps_exactly_the_expected_ones()
    {
        var all = YearOfHourly();
        Assert.Equal(8760, all.Count);

        var decision = Retention.Decide(all, new RetentionPolicy(KeepLast: 3, KeepHourly: 24, KeepDaily: 7, KeepWeekly: 4, KeepMonthly: 12));

        var expected = new HashSet<DateTimeOffset>();
        for (var h = 0; h < 24; h++)
            expected.Add(At(12, 31, h)); // hourly: every hour of the last day (covers "last 3" too)
        for (var d = 25; d <= 30; d++)
            expected.Add(At(12, d, 23)); // daily: the last snapshot of Dec 25..30 (Dec 31 above)
        // weekly (ISO): 2026-W01 starts Mon Dec 29 (Dec 31 above); W52 ends Sun Dec 28 (daily above);
        // W51 ends Dec 21 and W50 ends Dec 14.
        expected.Add(At(12, 21, 23));
        expected.Add(At(12, 14, 23));
        int[] lastDay = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30];
        for (var m = 1; m <= 11; m++)
            expected.Add(At(m, lastDay[m - 1], 23)); // monthly: the last snapshot of Jan..Nov

        Assert.Equal(43, expected.Count);
        Assert.Equal(expected.OrderBy(t => t), decision.Keep.Select(k => k.CreatedAt).OrderBy(t => t));
        Assert.Equal(8760 - 43, decision.Delete.Count);
        Assert.Contains("monthly", decision.ReasonsToKeep[decision.Keep.Single(k => k.CreatedAt == At(1, 31, 23)).Key]);
        Assert.Equal(["last", "hourly", "daily", "weekly", "monthly", "newest verified"], decision.ReasonsToKeep[decision.Keep[0].Key]);
    }

    [Fact]
    public void Periods_without_snapshots_do_not_count()
    {
        // Snapshots only on Mondays: keep-daily 3 keeps three Mondays, not "the last three calendar days".
        var mondays = Enumerable.Range(0, 10).Select(w => new DateTimeOffset(2025, 3, 3, 1, 0, 0, TimeSpan.Zero).AddDays(7 * w))
            .Select(t => new RetentionCandidate(t.ToString("O"), t, true)).ToList();
        var decision = Retention.Decide(mondays, new RetentionPolicy(KeepDaily: 3));
        Assert.Equal(mondays.OrderByDescending(m => m.CreatedAt).Take(3), decision.Keep);
    }

    [Fact]
    public void The_newest_verified_snapshot_survives_any_policy()
    {
        var verified = new RetentionCandidate("old-good", At(1, 1, 0), Verified: true);
        var broken = Enumerable.Range(1, 5).Select(i => new RetentionCandidate($"new-unverified-{i}", At(2, i, 0), Verified: false)).ToList();
        var decision = Retention.Decide([verified, .. broken], new RetentionPolicy(KeepLast: 2));
        Assert.Contains(verified, decision.Keep);
        Assert.Equal(["newest verified"], decision.ReasonsToKeep["old-good"]);
        Assert.Equal(3, decision.Keep.Count);
    }

    [Fact]
    public void An_empty_policy_deletes_nothing()
    {
        var decision = Retention.Decide(YearOfHourly().Take(100), new RetentionPolicy());
        Assert.Empty(decision.Delete);
        Assert.Equal(100, decision.Keep.Count);
    }

    [Fact]
    public void Negative_counts_are_refused() =>
        Assert.Equal(FailureKind.Usage, Assert.Throws<DrException>(() => Retention.Decide([], new RetentionPolicy(KeepDaily: -1))).Kind);
}
