using System.Globalization;

namespace QueueCtl.Core.Storage;

internal sealed partial class SqliteQueueStore
{
    /// <summary>
    /// After the wall clock jumped by <paramref name="jump"/>, moves every wait that was measured
    /// from "now" by the same amount, so that it keeps its length: delays and retry backoffs still
    /// in the future, leases and heartbeats. Instants a person gave (run_at) are left alone.
    /// Several workers notice the same jump; the first one to record it applies it.
    /// <paramref name="before"/> is the time just before the jump: waits ending after it are shifted.
    /// Returns whether this call applied it.
    /// </summary>
    public bool ShiftRelativeTimes(TimeSpan jump, DateTimeOffset before)
    {
        var delta = (long)jump.TotalMilliseconds;
        var now = Ms(before) + delta;
        return Write(() =>
        {
            var last = Command("SELECT value FROM meta WHERE key = 'clock_jump'");
            if (last.ExecuteScalar() is string recorded && recorded.Split(' ') is [var at, var by]
                && Math.Abs(long.Parse(at, CultureInfo.InvariantCulture) - now) < 60_000
                && Math.Abs(long.Parse(by, CultureInfo.InvariantCulture) - delta) < 5_000)
                return false; // another worker already shifted for this jump

            // "Still in the future before the jump" is next_run_at > (now - delta).
            var waits = Command("""
                UPDATE jobs SET next_run_at = next_run_at + $delta,
                                run_at = CASE WHEN state = 'pending' THEN run_at + $delta ELSE run_at END
                 WHERE state IN ('pending', 'failed') AND (state = 'failed' OR run_at_fixed = 0)
                   AND next_run_at > $now - $delta
                """);
            With(waits, "$delta", delta);
            With(waits, "$now", now);
            waits.ExecuteNonQuery();
            var leases = Command("UPDATE jobs SET lease_expires_at = lease_expires_at + $delta WHERE state = 'processing'");
            With(leases, "$delta", delta);
            leases.ExecuteNonQuery();
            var beats = Command("UPDATE workers SET heartbeat_at = heartbeat_at + $delta WHERE state IN ('running', 'stopping')");
            With(beats, "$delta", delta);
            beats.ExecuteNonQuery();
            var record = Command("INSERT INTO meta (key, value) VALUES ('clock_jump', $value) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
            With(record, "$value", string.Create(CultureInfo.InvariantCulture, $"{now} {delta}"));
            record.ExecuteNonQuery();
            return true;
        });
    }
}
