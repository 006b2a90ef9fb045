using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace QueueCtl.Core.Storage;

/// <summary>
/// SQLite's process-wide settings, applied once before the process opens its first queue. Each
/// connection QueueCtl opens is used by one thread at a time (the store's lock), and its statements
/// are disposed with it, so SQLite's own lock around every call on a connection ("serialized"
/// mode) and its memory statistics, which take a global lock on every allocation, are work for
/// nothing: without them the store claimed and recorded jobs 9-10% faster (bench/README.md).
/// Code that shares one connection between threads at once, or leaves a statement to the
/// finalizer while its connection is in use, is unsafe in this mode: keep connections behind a lock.
/// </summary>
internal static class SqliteProcessSettings
{
    private static readonly object Gate = new();
    private static bool _applied;

    /// <summary>
    /// Applies the settings, once; call it before opening a connection. SQLite takes them only
    /// before it has started in this process: if other code started it first, it keeps its own
    /// settings (SQLITE_MISUSE, ignored), which are the safe ones.
    /// </summary>
    public static void Apply()
    {
        lock (Gate)
        {
            if (_applied) return;
            _applied = true;
            // SQLitePCL learns which native SQLite to call when Microsoft.Data.Sqlite's connection type
            // is first used; until then raw calls fail. Starting that type does not start SQLite.
            RuntimeHelpers.RunClassConstructor(typeof(SqliteConnection).TypeHandle);
            raw.sqlite3_config(raw.SQLITE_CONFIG_MULTITHREAD);
            raw.sqlite3_config(raw.SQLITE_CONFIG_MEMSTATUS, 0);
        }
    }
}
