using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace QueueCtl.Core.Storage;

/// <summary>
/// A statement prepared once on the store's connection and run through SQLite's own API, for the
/// statements a batch runs once per job (claim rows, outcomes, inserts). Values are bound by
/// position and stay bound between runs, and a value equal to the one already bound (the same
/// number, null, or the very same string instance) is not bound again: most of a batch's values
/// repeat from job to job. Microsoft.Data.Sqlite would look every parameter up by name and bind
/// all of them again on each run. Parameters are written ?1, ?2, … in the SQL.
/// </summary>
internal sealed class RawStatement : IDisposable
{
    private enum Bound : byte { Nothing, Null, Number, Text }

    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    // What each parameter (1-based) holds now.
    private readonly Bound[] _kinds;
    private readonly long[] _numbers;
    private readonly string?[] _texts;

    public RawStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("the connection is not open");
        Check(raw.sqlite3_prepare_v2(_db, sql, out _statement));
        var count = raw.sqlite3_bind_parameter_count(_statement) + 1;
        _kinds = new Bound[count];
        _numbers = new long[count];
        _texts = new string?[count];
    }

    public RawStatement Bind(int index, long value)
    {
        if (_kinds[index] == Bound.Number && _numbers[index] == value) return this;
        _kinds[index] = Bound.Nothing; // until the bind has worked
        Check(raw.sqlite3_bind_int64(_statement, index, value));
        _kinds[index] = Bound.Number;
        _numbers[index] = value;
        return this;
    }

    public RawStatement Bind(int index, long? value) => value is { } v ? Bind(index, v) : BindNull(index);

    public RawStatement Bind(int index, string? value)
    {
        if (value is null) return BindNull(index);
        if (_kinds[index] == Bound.Text && ReferenceEquals(_texts[index], value)) return this;
        _kinds[index] = Bound.Nothing;
        Check(raw.sqlite3_bind_text(_statement, index, value));
        _kinds[index] = Bound.Text;
        _texts[index] = value;
        return this;
    }

    private RawStatement BindNull(int index)
    {
        if (_kinds[index] == Bound.Null) return this;
        _kinds[index] = Bound.Nothing;
        Check(raw.sqlite3_bind_null(_statement, index));
        _kinds[index] = Bound.Null;
        _texts[index] = null;
        return this;
    }

    /// <summary>Runs the statement to its end; the number of rows it changed.</summary>
    public int Run()
    {
        while (Step()) { }
        return raw.sqlite3_changes(_db);
    }

    /// <summary>
    /// Runs the statement to its next row: true with a row to read through the column methods, false
    /// at the end. The statement is reset at its end or failure, so it holds nothing between runs.
    /// A caller that stops before the end must call <see cref="Reset"/>.
    /// </summary>
    public bool Step()
    {
        var result = raw.sqlite3_step(_statement);
        if (result == raw.SQLITE_ROW) return true;
        try
        {
            if (result != raw.SQLITE_DONE) SqliteException.ThrowExceptionForRC(result, _db);
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
        return false;
    }

    /// <summary>The first column of the statement's one row, as a number; the statement is reset after.</summary>
    public long Scalar()
    {
        if (!Step()) throw new InvalidOperationException("the statement returned no row");
        var value = Int64(0);
        Reset();
        return value;
    }

    /// <summary>The rowid of the row the connection's last successful INSERT wrote.</summary>
    public long LastInsertRowId => raw.sqlite3_last_insert_rowid(_db);

    /// <summary>Ends a run part-way through its rows (bound values stay).</summary>
    public void Reset() => raw.sqlite3_reset(_statement);

    public bool IsNull(int column) => raw.sqlite3_column_type(_statement, column) == raw.SQLITE_NULL;
    public long Int64(int column) => raw.sqlite3_column_int64(_statement, column);
    public int Int32(int column) => raw.sqlite3_column_int(_statement, column);
    public int? Int32OrNull(int column) => IsNull(column) ? null : Int32(column);
    public string Text(int column) => raw.sqlite3_column_text(_statement, column).utf8_to_string();
    public string? TextOrNull(int column) => IsNull(column) ? null : Text(column);

    private void Check(int result)
    {
        if (result != raw.SQLITE_OK) SqliteException.ThrowExceptionForRC(result, _db);
    }

    public void Dispose() => _statement.Dispose();
}
