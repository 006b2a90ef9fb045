using System.CommandLine;

namespace QueueCtl.Cli.Commands;

/// <summary>Every verb of queuectl, including the spellings of the classic single-file tools.</summary>
internal static class CommandTree
{
    public static RootCommand Build()
    {
        var root = new RootCommand("""
            QueueCtl: a durable background job queue for the shell. Jobs are command lines kept in a
            SQLite database, run by workers, retried with exponential backoff, and parked in a
            dead-letter queue when they run out of retries.

            Exit codes: 0 success, 1 unexpected, 2 invalid input, 3 not found, 4 conflict,
            5 database problem, 6 database busy, 7 disk full, 8 timed out, 9 worker could not start.
            """)
        {
            Common.Db,
            EnqueueCommand.Build(),
            WorkerCommands.Build(),
            StatusCommand.Build(),
            JobCommands.List(),
            JobCommands.Show(),
            JobCommands.Logs(),
            DlqCommands.Build(),
            ConfigCommands.Build(),
            DemoCommand.Build(),
            WorkerCommands.ClassicStart(),
            WorkerCommands.ClassicStop(),
        };
        return root;
    }
}
