using System.Globalization;

namespace EtcdDr.Snapshots;

/// <summary>A snapshot as retention sees it.</summary>
public sealed record RetentionCandidate(string Key, DateTimeOffset CreatedAt, bool Verified);

/// <summary>The decision, with the rules that kept each survivor (for --dry-run output).</summary>
public sealed record RetentionDecision(
    IReadOnlyList<RetentionCandidate> Keep,
    IReadOnlyList<RetentionCandidate> Delete,
    IReadOnlyDictionary<string, IReadOnlyList<string>> ReasonsToKeep);

/// <summary>
/// Decides what a prune deletes; deleting is someone else's job. Two safety rules on top of the
/// policy: the newest verified snapshot is always kept, and an empty policy deletes nothing.
/// </summary>
public static class Retention
{
    public static RetentionDecision Decide(IEnumerable<RetentionCandidate> candidates, RetentionPolicy policy)
    {
        policy.Validate();
        var newestFirst = candidates.OrderByDescending(c => c.CreatedAt).ThenByDescending(c => c.Key, StringComparer.Ordinal).ToList();
        var reasons = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void KeepFor(RetentionCandidate c, string why)
        {
            if (!reasons.TryGetValue(c.Key, out var list))
                reasons[c.Key] = list = [];
            list.Add(why);
        }

        if (policy.IsEmpty)
        {
            foreach (var c in newestFirst)
                KeepFor(c, "empty policy");
        }
        foreach (var c in newestFirst.Take(policy.KeepLast))
            KeepFor(c, "last");
        KeepNewestPerPeriod(newestFirst, policy.KeepHourly, t => t.ToString("yyyy-MM-dd HH", CultureInfo.InvariantCulture), "hourly", KeepFor);
        KeepNewestPerPeriod(newestFirst, policy.KeepDaily, t => t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), "daily", KeepFor);
        KeepNewestPerPeriod(newestFirst, policy.KeepWeekly, t => $"{ISOWeek.GetYear(t.UtcDateTime)}-W{ISOWeek.GetWeekOfYear(t.UtcDateTime):00}", "weekly", KeepFor);
        KeepNewestPerPeriod(newestFirst, policy.KeepMonthly, t => t.ToString("yyyy-MM", CultureInfo.InvariantCulture), "monthly", KeepFor);
        if (newestFirst.FirstOrDefault(c => c.Verified) is { } newestVerified)
            KeepFor(newestVerified, "newest verified");

        var keep = newestFirst.Where(c => reasons.ContainsKey(c.Key)).ToList();
        var delete = newestFirst.Where(c => !reasons.ContainsKey(c.Key)).ToList();
        return new RetentionDecision(keep, delete, reasons.ToDictionary(r => r.Key, r => (IReadOnlyList<string>)r.Value, StringComparer.Ordinal));
    }

    private static void KeepNewestPerPeriod(List<RetentionCandidate> newestFirst, int periods, Func<DateTimeOffset, string> period, string rule,
        Action<RetentionCandidate, string> keep)
    {
        if (periods <= 0)
            return;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in newestFirst)
        {
            // The first (newest) snapshot of each new period is that period's keeper.
            if (seen.Add(period(c.CreatedAt.ToUniversalTime())))
            {
                keep(c, rule);
                if (seen.Count == periods)
                    return;
            }
        }
    }
}
