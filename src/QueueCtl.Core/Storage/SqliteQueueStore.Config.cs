using System.Globalization;
using QueueCtl.Core.Config;

namespace QueueCtl.Core.Storage;

internal sealed partial class SqliteQueueStore
{
    // The configuration as last read, and PRAGMA data_version at that read. The version moves when
    // another connection commits; until it does, the table cannot have changed but through this
    // connection, whose SetConfig forgets the copy. Saves a query and its parse on every enqueue and claim.
    private QueueConfig? _config;
    private long _configDataVersion;

    public QueueConfig GetConfig() => Read(() =>
    {
        var version = DataVersion();
        if (_config is null || version != _configDataVersion)
        {
            _config = QueueConfig.FromValues(ReadStoredConfig());
            _configDataVersion = version;
        }
        return _config;
    }, moveInbox: false);

    private long DataVersion() => Statement("PRAGMA data_version").Scalar();

    public IReadOnlyList<QueueConfigEntry> GetConfigEntries()
    {
        var stored = ReadStoredConfig();
        return ConfigKey.All.Select(key => new QueueConfigEntry
        {
            Key = key.Name,
            Value = ConfigKey.Format(stored.TryGetValue(key.Name, out var v) ? v : key.Default),
            Default = ConfigKey.Format(key.Default),
            Range = key.Range,
            Description = key.Description,
        }).ToList();
    }

    public void SetConfig(ConfigKey key, double value) => Write(() =>
    {
        _config = null;
        var command = Command("INSERT INTO config (key, value) VALUES ($key, $value) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
        With(command, "$key", key.Name);
        With(command, "$value", ConfigKey.Format(value));
        return command.ExecuteNonQuery();
    });

    private Dictionary<string, double> ReadStoredConfig() => Read(() =>
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        var command = Command("SELECT key, value FROM config");
        using var r = command.ExecuteReader();
        while (r.Read())
        {
            // A value written by hand outside the range is ignored rather than trusted.
            var key = ConfigKey.All.FirstOrDefault(k => k.Name == r.GetString(0));
            if (key is not null && double.TryParse(r.GetString(1), NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
                && v >= key.Min && v <= key.Max)
                values[key.Name] = v;
        }
        return values;
    }, moveInbox: false);
}
