using Microsoft.Data.Sqlite;

namespace QueueCtl.Tests.Support;

/// <summary>A fresh folder holding one queue database path, deleted afterwards.</summary>
public sealed class TempQueue : IDisposable
{
    public TempQueue()
    {
        Folder = Path.Combine(Path.GetTempPath(), "queuectl-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(Folder);
        DatabasePath = Path.Combine(Folder, "queue.db");
    }

    public string Folder { get; }
    public string DatabasePath { get; }

    /// <summary>A file in the folder (for job output, markers, logs).</summary>
    public string File(string name) => Path.Combine(Folder, name);

    /// <summary>A number read straight from the database with SQL, past the queue's own API (a connection of its own, not pooled).</summary>
    public long Scalar(string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
