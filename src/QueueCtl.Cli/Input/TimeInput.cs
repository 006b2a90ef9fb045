using System.Globalization;
using System.Text.RegularExpressions;

namespace QueueCtl.Cli.Input;

/// <summary>Parses the times and durations people type: ISO 8601 instants and "10s", "5m", "2h", "1d".</summary>
internal static partial class TimeInput
{
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}([.,]\d{1,7})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$", RegexOptions.IgnoreCase)]
    private static partial Regex IsoPattern();

    [GeneratedRegex(@"^(\d+(\.\d+)?)(ms|s|m|h|d)?$", RegexOptions.IgnoreCase)]
    private static partial Regex DurationPattern();

    /// <summary>
    /// An ISO 8601 date or date-time. Without an offset it is the caller's local time (as a person
    /// typing "2026-01-02 09:00" means); "Z" or "+02:00" make it explicit.
    /// </summary>
    public static bool TryParseInstant(string? text, out DateTimeOffset instant)
    {
        instant = default;
        var trimmed = (text ?? "").Trim();
        if (!IsoPattern().IsMatch(trimmed)) return false;
        var normalized = trimmed.Replace(',', '.');
        // "+0200" is ISO 8601 too, but .NET wants "+02:00".
        var offset = Regex.Match(normalized, @"[+-]\d{4}$");
        if (offset.Success && normalized.Length > 10) normalized = normalized[..^2] + ":" + normalized[^2..];
        else if (Regex.IsMatch(normalized, @"T?\d{2}:\d{2}(:\d{2}(\.\d+)?)?[+-]\d{2}$")) normalized += ":00";
        return DateTimeOffset.TryParse(normalized, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeLocal | DateTimeStyles.AllowWhiteSpaces, out instant);
    }

    public static DateTimeOffset ParseInstant(string? text, string what)
    {
        if (TryParseInstant(text, out var instant)) return instant;
        throw InputError.Invalid("InvalidTime",
            $"{what} {InputError.Quote(text)} is not a time QueueCtl can read. Use ISO 8601, for example 2026-01-02T09:30:00Z, 2026-01-02T09:30:00+02:00, or 2026-01-02 09:30 (local time).", text);
    }

    /// <summary>A duration: a number of seconds, or a number with a unit ms, s, m, h or d ("90", "10s", "1.5m", "2h", "1d").</summary>
    public static TimeSpan ParseDuration(string? text, string what)
    {
        var trimmed = (text ?? "").Trim();
        var match = DurationPattern().Match(trimmed);
        if (match.Success && double.TryParse(match.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount))
        {
            var seconds = match.Groups[3].Value.ToLowerInvariant() switch
            {
                "ms" => amount / 1000,
                "m" => amount * 60,
                "h" => amount * 3600,
                "d" => amount * 86400,
                _ => amount,
            };
            if (seconds <= TimeSpan.MaxValue.TotalSeconds / 2) return TimeSpan.FromSeconds(seconds);
        }
        throw InputError.Invalid("InvalidDelay",
            $"{what} {InputError.Quote(text)} is not a duration. Use a number of seconds or a number with a unit: 30s, 5m, 2h, 1d.", text);
    }
}
