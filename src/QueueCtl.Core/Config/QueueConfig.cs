namespace QueueCtl.Core.Config;

/// <summary>A snapshot of the configuration, read by workers before each claim.</summary>
public sealed record QueueConfig(
    int MaxRetries, double BackoffBase, int BackoffMax, double BackoffJitter,
    int JobTimeout, int LeaseSeconds, int ShutdownGrace, int OutputLimit)
{
    public static QueueConfig Defaults { get; } = FromValues(new Dictionary<string, double>());

    internal static QueueConfig FromValues(IReadOnlyDictionary<string, double> stored)
    {
        double Get(ConfigKey key) => stored.TryGetValue(key.Name, out var v) ? v : key.Default;
        return new QueueConfig(
            (int)Get(ConfigKey.MaxRetries), Get(ConfigKey.BackoffBase), (int)Get(ConfigKey.BackoffMax),
            Get(ConfigKey.BackoffJitter), (int)Get(ConfigKey.JobTimeout), (int)Get(ConfigKey.LeaseSeconds),
            (int)Get(ConfigKey.ShutdownGrace), (int)Get(ConfigKey.OutputLimit));
    }
}
