using System.Globalization;

namespace EtcdDr.Cli;

/// <summary>Operator-friendly durations: 90s, 30m, 24h, 7d (or .NET's d.hh:mm:ss); null when unreadable,
/// negative, or longer than a TimeSpan holds (about 29,000 years): 99999999d once crashed the verb
/// with an OverflowException instead of saying so.</summary>
public static class Durations
{
    public static TimeSpan? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        // Digits and at most one '.': no exponents, signs, NaN or Infinity for the number.
        if (text.Length >= 2 && text[..^1].All(c => char.IsAsciiDigit(c) || c == '.')
            && double.TryParse(text[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n))
        {
            double? seconds = char.ToLowerInvariant(text[^1]) switch
            {
                's' => n,
                'm' => n * 60,
                'h' => n * 3600,
                'd' => n * 86400,
                _ => null,
            };
            if (seconds is { } s)
                return s < TimeSpan.MaxValue.TotalSeconds ? TimeSpan.FromSeconds(s) : null;
        }
        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero ? span : null;
    }

    /// <summary>Why <see cref="Parse"/> refused <paramref name="text"/>, for the error message.</summary>
    public static string Problem(string text)
    {
        var trimmed = text.Trim();
        var number = trimmed.Length >= 2 ? trimmed[..^1] : "";
        return number.Length > 0 && number.All(c => char.IsAsciiDigit(c) || c == '.') && "smhdSMHD".Contains(trimmed[^1], StringComparison.Ordinal)
            ? $"'{text}' is too long: at most {(long)TimeSpan.MaxValue.TotalDays}d"
            : $"'{text}' is not a duration: use e.g. 90m, 24h or 7d";
    }
}
