using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using QueueCtl.Core.Config;
using QueueCtl.Core.Jobs;
using QueueCtl.Core.Status;
using QueueCtl.Core.Workers;

namespace QueueCtl.Cli.Output;

/// <summary>
/// The --json shapes. They are a public contract for scripts (README, "Command line"):
/// camelCase properties, times as ISO 8601 UTC strings ("2026-01-02T03:04:05.678Z"),
/// durations in seconds, states and outcomes lowercase. Add properties; never rename or remove.
/// </summary>
internal static class JsonOutput
{
    // Source-generated (JsonShapes below): no reflection, so a natively compiled queuectl writes the same JSON.
    private static readonly JsonShapes Shapes = new(new JsonSerializerOptions
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new UtcTimeConverter() },
    });

    public static void Write<T>(T value) =>
        Console.Out.WriteLine(JsonSerializer.Serialize(value, (JsonTypeInfo<T>)(Shapes.GetTypeInfo(typeof(T))
            ?? throw new InvalidOperationException($"{typeof(T).Name} is not one of the JSON shapes; add it to JsonShapes."))));

    public static JobJson Job(QueueJob job, bool withOutput = false, IReadOnlyList<JobAttempt>? attempts = null) => new(
        job.Id, job.Command, job.Shell.ToString().ToLowerInvariant(), job.Queue, job.Priority, JobLifecycle.StateName(job.State),
        job.Attempts, job.MaxRetries, job.TimeoutSec, job.RunAt, job.NextRunAt, job.WorkingDirectory,
        job.Environment, job.ExitCode, job.LastError, job.CreatedAt, job.UpdatedAt, job.StartedAt, job.FinishedAt,
        job.Duration?.TotalSeconds, job.WorkerId, job.LeaseExpiresAt,
        withOutput ? job.Output ?? "" : null,
        attempts?.Select(Attempt).ToList());

    public static AttemptJson Attempt(JobAttempt a) => new(
        a.Number, JobLifecycle.OutcomeName(a.Outcome), a.WorkerId, a.StartedAt, a.FinishedAt, a.Duration?.TotalSeconds, a.ExitCode, a.Error);

    public static WorkerJson Worker(QueueWorker w) => new(
        w.Id, w.Host, w.ProcessId, w.State.ToString().ToLowerInvariant(), w.Queues, w.Slots, w.Running, w.JobsDone,
        w.StartedAt, w.HeartbeatAt, w.StoppedAt, w.LogPath);

    public static StatusJson Status(QueueStatus s) => new(
        s.Database, s.Total, s.Pending, s.Scheduled, s.Processing, s.Completed, s.Failed, s.Dead, s.Workers, s.Slots,
        s.AverageDuration?.TotalSeconds, s.P95Duration?.TotalSeconds, s.Throughput,
        s.Queues.Select(q => new QueueCountsJson(q.Queue, q.Total, q.Pending, q.Scheduled, q.Processing, q.Completed, q.Failed, q.Dead)).ToList());

    public static ConfigJson Config(QueueConfigEntry e) => new(
        e.Key, double.Parse(e.Value, CultureInfo.InvariantCulture), double.Parse(e.Default, CultureInfo.InvariantCulture),
        e.IsDefault, e.Range, e.Description);

    private sealed class UtcTimeConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            DateTimeOffset.Parse(reader.GetString()!, CultureInfo.InvariantCulture);

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
    }
}

/// <summary>Every type written with --json (JsonOutput.Write). A type missing here fails at its first write, naming itself.</summary>
[JsonSerializable(typeof(JobJson))]
[JsonSerializable(typeof(List<JobJson>))]
[JsonSerializable(typeof(List<WorkerJson>))]
[JsonSerializable(typeof(StatusJson))]
[JsonSerializable(typeof(ConfigJson))]
[JsonSerializable(typeof(List<ConfigJson>))]
[JsonSerializable(typeof(EnqueueJson))]
[JsonSerializable(typeof(List<StartedWorkerJson>))]
[JsonSerializable(typeof(LogsJson))]
[JsonSerializable(typeof(RestoredJson))]
[JsonSerializable(typeof(StopWorkersJson))]
internal sealed partial class JsonShapes : JsonSerializerContext;

internal sealed record JobJson(
    string Id, string Command, string Shell, string Queue, int Priority, string State, int Attempts, int MaxRetries,
    int TimeoutSec, DateTimeOffset RunAt, DateTimeOffset NextRunAt, string? WorkingDirectory,
    IReadOnlyDictionary<string, string> Environment, int? ExitCode, string? LastError, DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, double? DurationSec,
    string? WorkerId, DateTimeOffset? LeaseExpiresAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Output,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<AttemptJson>? AttemptHistory);

internal sealed record AttemptJson(
    int Number, string Outcome, string WorkerId, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, double? DurationSec,
    int? ExitCode, string? Error);

internal sealed record WorkerJson(
    string Id, string Host, int Pid, string State, IReadOnlyList<string> Queues, int Slots, int Running, long JobsDone,
    DateTimeOffset StartedAt, DateTimeOffset HeartbeatAt, DateTimeOffset? StoppedAt, string? LogPath);

internal sealed record QueueCountsJson(
    string Queue, long Total, long Pending, long Scheduled, long Processing, long Completed, long Failed, long Dead);

internal sealed record StatusJson(
    string Database, long Total, long Pending, long Scheduled, long Processing, long Completed, long Failed, long Dead,
    int Workers, int Slots, double? AverageDurationSec, double? P95DurationSec, double ThroughputPerSec,
    IReadOnlyList<QueueCountsJson> Queues);

internal sealed record ConfigJson(string Key, double Value, double Default, bool IsDefault, string Range, string Description);

internal sealed record EnqueueJson(IReadOnlyList<string> Added, IReadOnlyList<string> Skipped);

internal sealed record StartedWorkerJson(string Id, int Pid, string? LogPath);

internal sealed record LogsJson(string Id, string State, string Output);

internal sealed record RestoredJson(int Restored, IReadOnlyList<string>? Ids);

internal sealed record StopWorkersJson(IReadOnlyList<string> Asked, bool Force);
