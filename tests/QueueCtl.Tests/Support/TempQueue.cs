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

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
