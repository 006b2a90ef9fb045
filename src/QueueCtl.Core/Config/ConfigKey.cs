using System.Globalization;
using QueueCtl.Core.Errors;

namespace QueueCtl.Core.Config;

/// <summary>One configuration key: its name, default, allowed range and meaning.</summary>
public sealed class ConfigKey
{
    private ConfigKey(string name, double defaultValue, double min, double max, bool integer, string unit, string description)
    {
        Name = name; Default = defaultValue; Min = min; Max = max; IsInteger = integer; Unit = unit; Description = description;
    }

    public string Name { get; }
    public double Default { get; }
    public double Min { get; }
    public double Max { get; }
    public bool IsInteger { get; }
    public string Unit { get; }
    public string Description { get; }
    public string Range => $"{Format(Min)}..{Format(Max)}" + (Unit.Length > 0 ? $" {Unit}" : "");

    public static readonly ConfigKey MaxRetries = new("max_retries", 3, 0, 1000, true, "", "Retries after the first attempt for jobs that do not set their own.");
    public static readonly ConfigKey BackoffBase = new("backoff_base", 2, 1, 1000, false, "", "Delay after the n-th failure is backoff_base^n seconds.");
    public static readonly ConfigKey BackoffMax = new("backoff_max", 3600, 0, 31_536_000, true, "seconds", "Upper bound on any retry delay.");
    public static readonly ConfigKey BackoffJitter = new("backoff_jitter", 0, 0, 1, false, "", "Spreads each retry delay by up to this fraction either way.");
    public static readonly ConfigKey JobTimeout = new("job_timeout", 0, 0, 604_800, true, "seconds", "Per-attempt limit for jobs that do not set their own; 0 = none.");
    public static readonly ConfigKey LeaseSeconds = new("lease_seconds", 30, 1, 3600, true, "seconds", "How long a worker holds a job between heartbeats before the job counts as lost.");
    public static readonly ConfigKey ShutdownGrace = new("shutdown_grace", 30, 0, 3600, true, "seconds", "On graceful stop, how long running jobs may finish before they are ended and handed back.");
    public static readonly ConfigKey OutputLimit = new("output_limit", 65_536, 0, 16_777_216, true, "bytes", "How much of the end of each attempt's output is kept.");

    public static IReadOnlyList<ConfigKey> All { get; } =
        [MaxRetries, BackoffBase, BackoffMax, BackoffJitter, JobTimeout, LeaseSeconds, ShutdownGrace, OutputLimit];

    // Spellings used by the classic single-file queuectl tools.
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["base_backoff"] = "backoff_base",
        ["backoff"] = "backoff_base",
        ["retries"] = "max_retries",
        ["timeout"] = "job_timeout",
        ["lease"] = "lease_seconds",
    };

    /// <summary>Finds a key by name, accepting dashes for underscores, any case and the classic aliases.</summary>
    public static ConfigKey Find(string? name)
    {
        var normalized = (name ?? "").Trim().Replace('-', '_').ToLowerInvariant();
        if (Aliases.TryGetValue(normalized, out var canonical)) normalized = canonical;
        return All.FirstOrDefault(k => k.Name == normalized)
            ?? throw new QueueException(QueueErrorKind.InvalidInput, "UnknownConfigKey",
                $"There is no configuration key {Jobs.JobId.Quote(name)}. Known keys: {string.Join(", ", All.Select(k => k.Name))}.", name);
    }

    /// <summary>Parses a value for this key, refusing anything outside its range.</summary>
    public double Parse(string? text)
    {
        var trimmed = (text ?? "").Trim();
        var parsed = double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
                     && double.IsFinite(value);
        if (!parsed || (IsInteger && value != Math.Floor(value)) || value < Min || value > Max)
            throw new QueueException(QueueErrorKind.InvalidInput, "InvalidConfigValue",
                $"{Jobs.JobId.Quote(text)} is not a valid value for {Name}: it takes {(IsInteger ? "a whole number" : "a number")} in {Range}.", Name);
        return value == 0 ? 0 : value; // "-0" parses to negative zero, which would be stored and shown as "-0"
    }

    public static string Format(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);
}
