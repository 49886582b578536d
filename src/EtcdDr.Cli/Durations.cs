using System.Globalization;

namespace EtcdDr.Cli;

/// <summary>Operator-friendly durations: 90s, 30m, 24h, 7d (or .NET's d.hh:mm:ss); null when unreadable or negative.</summary>
public static class Durations
{
    public static TimeSpan? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        if (text.Length >= 2 && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0)
        {
            TimeSpan? unit = char.ToLowerInvariant(text[^1]) switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                'd' => TimeSpan.FromDays(n),
                _ => null,
            };
            if (unit is not null)
                return unit;
        }
        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero ? span : null;
    }
}
