using Microsoft.Data.Sqlite;
using QueueCtl.Core;
using QueueCtl.Core.Jobs;
using QueueCtl.Core.Storage;
using QueueCtl.Core.Time;
using QueueCtl.Tests.Support;

namespace QueueCtl.Tests.Core;

/// <summary>A clock that only moves when a test moves it.</summary>
internal sealed class FakeClock(DateTimeOffset start) : IClock
{
    public DateTimeOffset UtcNow { get; set; } = start;

    public void Advance(TimeSpan by) => UtcNow += by;
}

/// <summary>
/// A fresh queue file opened twice over one fake clock: through the public JobQueue facade,
/// and through the store (so a test can play the worker's part: claim, finish, expire leases).
/// </summary>
internal sealed class CoreQueue : IDisposable
{
    public static readonly DateTimeOffset Start = new(2031, 3, 4, 5, 6, 7, TimeSpan.Zero);

    public CoreQueue()
    {
        Temp = new TempQueue();
        Clock = new FakeClock(Start);
        Queue = JobQueue.Open(Temp.DatabasePath, Clock);
        Store = SqliteQueueStore.Open(Temp.DatabasePath, Clock);
    }

    public TempQueue Temp { get; }
    public FakeClock Clock { get; }
    public JobQueue Queue { get; }
    public SqliteQueueStore Store { get; }
    public string DatabasePath => Temp.DatabasePath;

    public QueueJob Add(string id, string command = "true", int priority = 0, int? maxRetries = null, int? timeoutSec = null) =>
        Queue.Enqueue(new JobSpec { Id = id, Command = command, Priority = priority, MaxRetries = maxRetries, TimeoutSec = timeoutSec });

    public ClaimedJob? ClaimOne(string worker = "w1") => Store.Claim(worker, [], 1, Store.GetConfig()).SingleOrDefault();

    public ClaimedJob MustClaim(string expectedId, string worker = "w1")
    {
        var job = ClaimOne(worker);
        Assert.NotNull(job);
        Assert.Equal(expectedId, job!.Id);
        return job;
    }

    public FinishResult Finish(ClaimedJob job, AttemptResult result, string worker = "w1") =>
        Store.Finish(worker, [(job, result)], Store.GetConfig()).Single();

    public FinishResult Fail(ClaimedJob job, int exitCode = 1) =>
        Finish(job, new AttemptResult(AttemptOutcome.Failed, exitCode, $"exit code {exitCode}", null));

    public FinishResult Succeed(ClaimedJob job, string? output = null) => Finish(job, AttemptResult.Success(output));

    public long Count(string table = "jobs") => Convert.ToInt64(Scalar($"SELECT count(*) FROM {table}"));

    /// <summary>Reads the file directly, past every QueueCtl rule, to see what really is stored.</summary>
    public object? Scalar(string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    public void Dispose()
    {
        Queue.Dispose();
        Store.Dispose();
        Temp.Dispose();
    }
}
