using System.Diagnostics;
using Microsoft.Data.Sqlite;
using QueueCtl.Core.Storage;

namespace QueueCtl.Bench;

/// <summary>
/// What the machine can do at all, measured with the SQLite build and pragmas QueueCtl uses
/// (the connection is opened by Core's own SqliteDatabase.Open) and with System.Diagnostics.Process.
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
        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO bench_rows (payload) VALUES ($p)";
        var p = insert.Parameters.Add("$p", SqliteType.Text);
        return InsertRate(path, connection, insert, perTransaction, duration, n => p.Value = "echo hello " + n);
    }

    /// <summary>
    /// Runs <paramref name="insert"/> (its parameters set by <paramref name="bind"/> for row n),
    /// <paramref name="perTransaction"/> rows to a BEGIN IMMEDIATE … COMMIT, for <paramref name="duration"/>;
    /// then closes the connection, deletes the database and returns rows per second.
    /// </summary>
    private static double InsertRate(string path, SqliteConnection connection, SqliteCommand insert, int perTransaction, TimeSpan duration, Action<long> bind)
    {
        using (connection)
        {
            using var begin = connection.CreateCommand(); begin.CommandText = "BEGIN IMMEDIATE";
            using var commit = connection.CreateCommand(); commit.CommandText = "COMMIT";
            var clock = Stopwatch.StartNew();
            long n = 0;
            while (clock.Elapsed < duration)
            {
                begin.ExecuteNonQuery();
                for (var i = 0; i < perTransaction; i++, n++)
                {
                    bind(n);
                    insert.ExecuteNonQuery();
                }
                commit.ExecuteNonQuery();
            }
            var rate = n / clock.Elapsed.TotalSeconds;
            insert.Dispose();
            connection.Dispose();
            Scratch.Delete(path);
            return rate;
        }
    }

    /// <summary>/bin/true started and reaped through Process with its output redirected, by <paramref name="parallel"/> threads at once.</summary>
    public static double ProcessRate(int parallel, TimeSpan duration) =>
        LaunchRate(parallel, duration, () => new ProcessStartInfo("/bin/true"));

    /// <summary>
    /// Rows per second written straight into QueueCtl's own jobs table (its unique id and the partial
    /// indexes a pending job is in included) with plain SQL, <paramref name="perTransaction"/> to a transaction: what the
    /// schema costs before any of Core's code runs.
    /// </summary>
    public static double JobsTableRows(Scratch scratch, TimeSpan duration, int perTransaction)
    {
        var path = scratch.NewDatabase("limit-jobs");
        var connection = SqliteDatabase.Open(path, new StoreOptions { Durability = Durability.Normal });
        using var insert = connection.CreateCommand();
        insert.CommandText = """
            INSERT INTO jobs (id, command, shell, queue, priority, state, run_at, next_run_at, created_at, updated_at)
            VALUES ($id, $command, 'sh', 'default', 0, 'pending', $now, $now, $now, $now)
            """;
        var id = insert.Parameters.Add("$id", SqliteType.Text);
        var command = insert.Parameters.Add("$command", SqliteType.Text);
        insert.Parameters.Add("$now", SqliteType.Integer).Value = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        return InsertRate(path, connection, insert, perTransaction, duration, n =>
        {
            id.Value = "limit-" + n.ToString("D20", System.Globalization.CultureInfo.InvariantCulture);
            command.Value = "echo hello " + n;
        });
    }

    /// <summary>
    /// The same process rate for the command line a `true` job really runs on Linux:
    /// setsid (a process group of its own, so that a timeout can end the whole tree) then /bin/sh -c true.
    /// </summary>
    public static double ShellLaunchRate(int parallel, TimeSpan duration)
    {
        var setsid = QueueCtl.Core.Workers.ShellExecutor.Setsid; // the same one jobs are started with
        return LaunchRate(parallel, duration, () =>
        {
            var info = new ProcessStartInfo(setsid ?? "/bin/sh");
            if (setsid is not null) info.ArgumentList.Add("/bin/sh");
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add("true");
            return info;
        });
    }

    /// <summary>Processes per second started (with all three streams redirected) and reaped by <paramref name="parallel"/> threads.</summary>
    private static double LaunchRate(int parallel, TimeSpan duration, Func<ProcessStartInfo> describe)
    {
        long n = 0;
        var clock = Stopwatch.StartNew();
        var threads = Enumerable.Range(0, parallel).Select(_ => new Thread(() =>
        {
            while (clock.Elapsed < duration)
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
                Interlocked.Increment(ref n);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        return Interlocked.Read(ref n) / clock.Elapsed.TotalSeconds;
    }
}
