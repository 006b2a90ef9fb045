using Microsoft.Data.Sqlite;
using QueueCtl.Core.Storage;

namespace QueueCtl.Tests.Core;

/// <summary>
/// The statements the store runs once per job keep their values bound between runs and skip
/// binding a value that is already there: every run must still write exactly what it was given.
/// </summary>
public sealed class RawStatementTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("queuectl-raw-").FullName;
    private readonly SqliteConnection _connection;

    public RawStatementTests()
    {
        _connection = new SqliteConnection($"Data Source={Path.Combine(_folder, "raw.db")};Pooling=False");
        _connection.Open();
        using var create = _connection.CreateCommand();
        create.CommandText = "CREATE TABLE t (k INTEGER PRIMARY KEY, a, b)";
        create.ExecuteNonQuery();
    }

    [Fact]
    public void Values_that_repeat_or_change_kind_between_runs_are_all_written_as_given()
    {
        using var insert = new RawStatement(_connection, "INSERT INTO t (k, a, b) VALUES (?1, ?2, ?3)");
        var shared = "same";
        // Equal text in a different instance, then null, then a number, then text again: each must land.
        var rows = new (long K, object? A, object? B)[]
        {
            (1, shared, 7L),
            (2, shared, 7L),
            (3, new string("same".ToCharArray()), null),
            (4, null, null),
            (5, 42L, 8L),
            (6, 42L, "text"),
            (7, "other", "text"),
            (8, shared, 7L),
            (9, 42L, null), // the number bound two runs ago, after text in between
            (10, "", "ünïcödé ✓ " + new string('x', 5000)), // empty text stays text; long and non-ASCII text whole
            (11, "", null),
        };
        foreach (var (k, a, b) in rows)
        {
            insert.Bind(1, k);
            Bind(insert, 2, a);
            Bind(insert, 3, b);
            Assert.Equal(1, insert.Run());
        }

        Assert.Equal(rows, ReadAll());
    }

    [Fact]
    public void A_scalar_is_the_first_column_of_the_one_row_and_the_statement_runs_again_after_it()
    {
        using var count = new RawStatement(_connection, "SELECT count(*) FROM t WHERE k > ?1");
        using var insert = new RawStatement(_connection, "INSERT INTO t (k, a, b) VALUES (?1, 'x', NULL)");
        foreach (var k in new long[] { 1, 2, 3 }) insert.Bind(1, k).Run();

        Assert.Equal(3, count.Bind(1, 0).Scalar());
        Assert.Equal(1, count.Bind(1, 2).Scalar());
        insert.Bind(1, 4).Run(); // reset by Scalar, so it holds no read open
        Assert.Equal(2, count.Scalar());
        using var none = new RawStatement(_connection, "SELECT k FROM t WHERE k < 0");
        Assert.Throws<InvalidOperationException>(() => none.Scalar());
    }

    [Fact]
    public void Rows_are_read_through_the_column_methods_and_a_run_stopped_part_way_can_run_again()
    {
        using (var insert = new RawStatement(_connection, "INSERT INTO t (k, a, b) VALUES (?1, ?2, ?3)"))
        {
            insert.Bind(1, 1).Bind(2, "one").Bind(3, 10).Run();
            insert.Bind(1, 2).Bind(2, (string?)null).Bind(3, (long?)null).Run();
        }
        using var select = new RawStatement(_connection, "SELECT k, a, b FROM t WHERE k >= ?1 ORDER BY k");
        select.Bind(1, 1);
        Assert.True(select.Step());
        Assert.Equal((1L, "one", 10, (int?)10), (select.Int64(0), select.Text(1), select.Int32(2), select.Int32OrNull(2)));
        select.Reset(); // stopped after one row

        var seen = new List<(long, string?, int?)>();
        while (select.Step()) seen.Add((select.Int64(0), select.TextOrNull(1), select.Int32OrNull(2)));
        Assert.Equal(new (long, string?, int?)[] { (1L, "one", 10), (2L, null, null) }, seen);
        // Its end reset it: the next run starts from the first row again.
        Assert.True(select.Step());
        Assert.Equal(1L, select.Int64(0));
        select.Reset();
    }

    [Fact]
    public void A_failing_run_throws_SQLites_error_and_leaves_the_statement_usable()
    {
        using var insert = new RawStatement(_connection, "INSERT INTO t (k, a) VALUES (?1, ?2)");
        insert.Bind(1, 1).Bind(2, "first").Run();

        var e = Assert.Throws<SqliteException>(() => insert.Bind(2, "again").Run());
        Assert.Equal(19, e.SqliteErrorCode); // SQLITE_CONSTRAINT: the key is taken

        Assert.Equal(1, insert.Bind(1, 2).Run());
        Assert.Equal(new (long, object?, object?)[] { (1L, "first", null), (2L, "again", null) }, ReadAll());
    }

    [Fact]
    public void A_statement_that_does_not_compile_is_refused_with_SQLites_message()
    {
        var e = Assert.Throws<SqliteException>(() => new RawStatement(_connection, "INSERT INTO missing VALUES (?1)"));
        Assert.Contains("no such table: missing", e.Message);
    }

    private static void Bind(RawStatement statement, int index, object? value)
    {
        switch (value)
        {
            case null: statement.Bind(index, (string?)null); break;
            case long number: statement.Bind(index, number); break;
            case string text: statement.Bind(index, text); break;
        }
    }

    private List<(long K, object? A, object? B)> ReadAll()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT k, a, b FROM t ORDER BY k";
        using var r = command.ExecuteReader();
        var rows = new List<(long, object?, object?)>();
        while (r.Read()) rows.Add((r.GetInt64(0), r.IsDBNull(1) ? null : r.GetValue(1), r.IsDBNull(2) ? null : r.GetValue(2)));
        return rows;
    }

    public void Dispose()
    {
        _connection.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
