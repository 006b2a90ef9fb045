using System.Globalization;

namespace QueueCtl.Core.Storage;

/// <summary>How commits reach the disk. NORMAL in WAL mode survives process crashes; FULL also survives power loss.</summary>
public enum Durability
{
    Normal,
    Full,
}

/// <summary>Connection-level settings (not stored in the database, unlike configuration).</summary>
public sealed record StoreOptions
{
    public const string BusyTimeoutVariable = "QUEUECTL_BUSY_TIMEOUT_MS";

    /// <summary>The defaults, with $QUEUECTL_BUSY_TIMEOUT_MS (1..600000) applied when set.</summary>
    public static StoreOptions Default => FromEnvironment();

    /// <summary>How long to wait for another process's lock before giving up with "database busy".</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public Durability Durability { get; init; } = Durability.Normal;

    /// <summary>Test seam: caps the file's size in pages (PRAGMA max_page_count) to make "database full" happen.</summary>
    internal int? MaxPageCount { get; init; }

    private static StoreOptions FromEnvironment()
    {
        var options = new StoreOptions();
        if (Environment.GetEnvironmentVariable(BusyTimeoutVariable) is { Length: > 0 } text
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms is >= 1 and <= 600_000)
            options = options with { BusyTimeout = TimeSpan.FromMilliseconds(ms) };
        return options;
    }
}
