using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using QueueCtl.Core.Processes;
using QueueCtl.Core.Storage;

namespace QueueCtl.Bench;

/// <summary>
/// What the machine can do at all, measured with the SQLite build and pragmas QueueCtl uses
/// (the connection is opened by Core's own SqliteDatabase.Open), with System.Diagnostics.Process,
/// and with the posix_spawn call jobs start with.
/// </summary>
internal static class Limits
{
    private static SqliteConnection Open(string path, Durability durability)
    {
        var connection = SqliteDatabase.Open(path, new StoreOptions { Durability = durability });
        SqliteDatabase.Execute(connection, "CREATE TABLE IF NOT EXISTS bench_rows (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)");
        return connection;
    }

    /// <summary>One INSERT per BEGIN IMMEDIATE … COMMIT, for <paramref name="duration"/>: commits per second.</summary>
    public static double SingleRowCommits(Scratch scratch, Durability durability, TimeSpan duration) =>
        PayloadRows(scratch, "limit-commit", durability, duration, perTransaction: 1);

    /// <summary>Rows per second inserted 1,000 to a transaction.</summary>
    public static double BatchedRows(Scratch scratch, TimeSpan duration, int perTransaction = 1000) =>
        PayloadRows(scratch, "limit-batch", Durability.Normal, duration, perTransaction);

    private static double PayloadRows(Scratch scratch, string name, Durability durability, TimeSpan duration, int perTransaction)
    {
        var path = scratch.NewDatabase(name);
        var connection = Open(path, durability);
        var insert = new RawStatement(connection, "INSERT INTO bench_rows (payload) VALUES (?1)");
        return InsertRate(path, connection, perTransaction, duration, n => insert.Bind(1, "echo hello " + n).Run(), insert);
    }

    /// <summary>
    /// Calls <paramref name="insertRow"/> for rows 0, 1, 2, … (statements bound by position through
    /// SQLite's own API, as Core binds the statements it runs once per job), <paramref name="perTransaction"/>
    /// rows to a BEGIN IMMEDIATE … COMMIT, for <paramref name="duration"/> (at least one transaction); then closes the connection,
    /// deletes the database and returns rows per second. <paramref name="statements"/> are disposed before the connection.
    /// </summary>
    private static double InsertRate(string path, SqliteConnection connection, int perTransaction, TimeSpan duration, Action<long> insertRow, params RawStatement[] statements)
    {
        using (connection)
        {
            using var begin = connection.CreateCommand(); begin.CommandText = "BEGIN IMMEDIATE";
            using var commit = connection.CreateCommand(); commit.CommandText = "COMMIT";
            var clock = Stopwatch.StartNew();
            long n = 0;
            do
            {
                begin.ExecuteNonQuery();
                for (var i = 0; i < perTransaction; i++, n++) insertRow(n);
                commit.ExecuteNonQuery();
            } while (clock.Elapsed < duration);
            var rate = n / clock.Elapsed.TotalSeconds;
            foreach (var statement in statements) statement.Dispose();
            connection.Dispose();
            Scratch.Delete(path);
            return rate;
        }
    }

    /// <summary>/bin/true started and reaped through Process with its output redirected, by <paramref name="parallel"/> threads at once.</summary>
    public static double ProcessRate(int parallel, TimeSpan duration) =>
        LaunchRate(parallel, duration, () => new ProcessStartInfo("/bin/true"));

    /// <summary>The same for <c>/bin/sleep 0.05</c>: the limit for jobs that last 50 ms.</summary>
    public static double SleepRate(int parallel, TimeSpan duration) =>
        LaunchRate(parallel, duration, () => new ProcessStartInfo("/bin/sleep", "0.05"));

    /// <summary>
    /// Rows per second written straight into QueueCtl's own jobs table (its unique id and the partial
    /// indexes a pending job is in included) with plain SQL, <paramref name="perTransaction"/> to a
    /// transaction: what the schema costs before any of Core's code runs. Many rows to a transaction
    /// are written as Core writes a batch, <see cref="SqliteQueueStore.InsertGroup"/> to an INSERT.
    /// With <paramref name="duration"/> zero, one transaction is timed (as one EnqueueMany call is).
    /// <paramref name="shape"/> takes B-trees away, to show what each costs.
    /// </summary>
    public static double JobsTableRows(Scratch scratch, TimeSpan duration, int perTransaction, JobsTableShape shape = JobsTableShape.AsQueueCtlHasIt)
    {
        var path = scratch.NewDatabase("limit-jobs");
        var connection = SqliteDatabase.Open(path, new StoreOptions { Durability = Durability.Normal });
        var table = CreateTable(connection, shape);
        var group = perTransaction >= SqliteQueueStore.InsertGroup ? SqliteQueueStore.InsertGroup : 1;
        var grouped = perTransaction - perTransaction % group; // the rest of each transaction one by one
        var single = new RawStatement(connection, JobsInsert(table, 1));
        var many = new RawStatement(connection, JobsInsert(table, group));
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        single.Bind(1, now);
        many.Bind(1, now);
        return InsertRate(path, connection, perTransaction, duration, n =>
        {
            var i = (int)(n % perTransaction);
            var (insert, slot) = i < grouped ? (many, i % group) : (single, 0);
            insert.Bind(2 + 2 * slot, "limit-" + n.ToString("D20", System.Globalization.CultureInfo.InvariantCulture))
                .Bind(3 + 2 * slot, "echo hello " + n);
            if (insert == single || slot == group - 1) insert.Run();
        }, single, many);
    }

    /// <summary>
    /// The table the rows go to: the jobs table itself, or a copy of its columns (the same CREATE
    /// TABLE, read back from the database, without UNIQUE) with only the index the shape names.
    /// </summary>
    private static string CreateTable(SqliteConnection connection, JobsTableShape shape)
    {
        if (shape == JobsTableShape.AsQueueCtlHasIt) return "jobs";
        var jobs = (string)SqliteDatabase.Scalar(connection, "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'jobs'")!;
        SqliteDatabase.Execute(connection, Regex.Replace(jobs, @"^CREATE TABLE jobs\b", "CREATE TABLE bench_jobs").Replace(" UNIQUE", "", StringComparison.Ordinal));
        var wanted = 0;
        if (shape == JobsTableShape.TableAndUniqueId)
        {
            SqliteDatabase.Execute(connection, "CREATE UNIQUE INDEX bench_jobs_id ON bench_jobs(id)");
            wanted = 1;
        }
        // A schema change that gave the copy another B-tree (a text primary key, a second UNIQUE)
        // would make the row measure something else: refuse rather than mislead.
        var indexes = Convert.ToInt32(SqliteDatabase.Scalar(connection, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'bench_jobs'"), System.Globalization.CultureInfo.InvariantCulture);
        if (indexes != wanted)
            throw new InvalidOperationException($"the copy of the jobs table has {indexes} index(es), not {wanted}: the bench's {shape} row no longer matches the schema");
        return "bench_jobs";
    }

    // OR FAIL as Core writes it: no statement journal for a grouped INSERT.
    private static string JobsInsert(string table, int rows) =>
        $"INSERT OR FAIL INTO {table} (id, command, shell, queue, priority, state, run_at, next_run_at, created_at, updated_at) VALUES " +
        string.Join(", ", Enumerable.Range(0, rows).Select(r => $"(?{2 + 2 * r}, ?{3 + 2 * r}, 'sh', 'default', 0, 'pending', ?1, ?1, ?1, ?1)"));

    /// <summary>
    /// <paramref name="argv"/> (`/bin/sh -c true`, or `/bin/true` itself) started with posix_spawn in a
    /// session of its own (as Linux jobs are), its output read from a pipe to the end, then reaped,
    /// by <paramref name="parallel"/> threads: what a job costs before any QueueCtl code. 0 where
    /// posix_spawn is not used.
    /// </summary>
    public static double SpawnRate(int parallel, TimeSpan duration, string[] argv)
    {
        if (!PosixSpawn.Supported) return 0;
        var environment = SpawnedJobProcess.EnvironmentBlock(new Dictionary<string, string>());
        return ThreadsRate(parallel, duration, () =>
        {
            var error = PosixSpawn.Spawn(argv[0], argv, environment, null, out var pid, out var fd);
            if (error != 0) throw new InvalidOperationException($"posix_spawn failed: errno {error}");
            Span<byte> buffer = stackalloc byte[4096];
            using (var output = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true), FileAccess.Read, 1))
                while (output.Read(buffer) > 0) { }
            PosixSpawn.WaitForExit(pid);
        });
    }

    /// <summary>Processes per second started (with all three streams redirected) and reaped by <paramref name="parallel"/> threads.</summary>
    private static double LaunchRate(int parallel, TimeSpan duration, Func<ProcessStartInfo> describe) =>
        ThreadsRate(parallel, duration, () =>
        {
            var info = describe();
            info.UseShellExecute = false;
            info.RedirectStandardInput = info.RedirectStandardOutput = info.RedirectStandardError = true;
            using var process = new Process { StartInfo = info };
            process.Start();
            process.StandardInput.Close();
            process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            process.WaitForExit();
        });

    /// <summary>How many times per second <paramref name="parallel"/> threads, each repeating <paramref name="once"/>, get through it.</summary>
    private static double ThreadsRate(int parallel, TimeSpan duration, Action once)
    {
        long n = 0;
        var clock = Stopwatch.StartNew();
        var threads = Enumerable.Range(0, parallel).Select(_ => new Thread(() =>
        {
            while (clock.Elapsed < duration)
            {
                once();
                Interlocked.Increment(ref n);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        return Interlocked.Read(ref n) / clock.Elapsed.TotalSeconds;
    }
}

/// <summary>Which of the jobs table's B-trees a raw-SQL reference row writes to.</summary>
internal enum JobsTableShape
{
    /// <summary>The jobs table as Core writes it: the rows, the unique id, and the ready indexes a due job is in.</summary>
    AsQueueCtlHasIt,
    /// <summary>The same columns with no index at all: the rows alone.</summary>
    TableAlone,
    /// <summary>The same columns with only the unique id: the least a queue that finds jobs by id keeps.</summary>
    TableAndUniqueId,
}
