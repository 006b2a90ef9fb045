using System.Globalization;
using QueueCtl.Core.Jobs;

namespace QueueCtl.Cli.Output;

/// <summary>How values read in tables and messages: UTC times, short durations, one-line cells.</summary>
internal static class Text
{
    public static string Time(DateTimeOffset? time) =>
        time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";

    public static string Duration(TimeSpan? duration)
    {
        if (duration is not { } d) return "-";
        if (d.TotalSeconds < 60) return d.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
        if (d.TotalHours < 1) return $"{(int)d.TotalMinutes}m{d.Seconds:00}s";
        return $"{(int)d.TotalHours}h{d.Minutes:00}m";
    }

    public static string State(JobState state) => JobLifecycle.StateName(state);

    public static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>Control characters (newlines, tabs) would break a table row; show them escaped.</summary>
    public static string OneLine(string value)
    {
        if (!value.Any(char.IsControl)) return value;
        return string.Concat(value.Select(c => c switch
        {
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            _ when char.IsControl(c) => $"\\u{(int)c:X4}",
            _ => c.ToString(),
        }));
    }

    public static string Shorten(string? value, int max)
    {
        if (string.IsNullOrEmpty(value)) return "";
        var line = OneLine(value);
        return line.Length <= max ? line : line[..(max - 3)] + "...";
    }
}
