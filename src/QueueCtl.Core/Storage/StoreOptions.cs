using System.Globalization;
using QueueCtl.Core.Errors;

namespace QueueCtl.Core.Storage;

/// <summary>
/// How commits reach the disk. NORMAL (the default) in WAL mode survives any process crash and
/// never corrupts the queue, but a power loss or OS crash may undo the last commits; FULL also
/// survives power loss, at the price of an fsync per commit (bench/README.md has the numbers).
/// </summary>
public enum Durability
{
    Normal,
    Full,
}

/// <summary>Connection-level settings (not stored in the database, unlike configuration).</summary>
public sealed record StoreOptions
{
    /// <summary>The environment variable that picks the durability when no caller does: <c>normal</c> or <c>full</c>.</summary>
    public const string DurabilityVariable = "QUEUECTL_DURABILITY";
    public const string BusyTimeoutVariable = "QUEUECTL_BUSY_TIMEOUT_MS";

    /// <summary>The defaults, with $QUEUECTL_BUSY_TIMEOUT_MS (1..600000) applied when set.</summary>
    public static StoreOptions Default => FromEnvironment();

    /// <summary>How long to wait for another process's lock before giving up with "database busy".</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Null (the default): from $QUEUECTL_DURABILITY, else <see cref="Durability.Normal"/>.</summary>
    public Durability? Durability { get; init; }

    /// <summary>Test seam: caps the file's size in pages (PRAGMA max_page_count) to make "database full" happen.</summary>
    internal int? MaxPageCount { get; init; }

    /// <summary>The durability to open with: the one set here, else the environment's, else Normal.</summary>
    public Durability ResolveDurability(Func<string, string?>? environment = null) =>
        Durability ?? ParseDurability((environment ?? System.Environment.GetEnvironmentVariable)(DurabilityVariable));

    internal static Durability ParseDurability(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "normal" => Storage.Durability.Normal,
        "full" => Storage.Durability.Full,
        _ => throw QueueException.Invalid("InvalidDurability",
            $"{DurabilityVariable} is '{value}'; it must be 'normal' (the default: survives crashes of any process) or 'full' (also survives power loss; slower commits).", value),
    };

    private static StoreOptions FromEnvironment()
    {
        var options = new StoreOptions();
        if (System.Environment.GetEnvironmentVariable(BusyTimeoutVariable) is { Length: > 0 } text
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms is >= 1 and <= 600_000)
            options = options with { BusyTimeout = TimeSpan.FromMilliseconds(ms) };
        return options;
    }
}
