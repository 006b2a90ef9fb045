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
    public static StoreOptions Default { get; } = new();
    /// <summary>How long to wait for another process's lock before giving up with "database busy".</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public Durability Durability { get; init; } = Durability.Normal;
}
