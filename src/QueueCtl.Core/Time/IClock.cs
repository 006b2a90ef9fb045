namespace QueueCtl.Core.Time;

/// <summary>The wall clock, injectable so that scheduling and backoff can be tested without waiting.</summary>
public interface IClock
{
    DateTimeOffset UtcNow { get; }
}

public sealed class SystemClock : IClock
{
    public static readonly SystemClock Instance = new();
    public DateTimeOffset UtcNow => DateTimeOffset.UtcNow;
}
