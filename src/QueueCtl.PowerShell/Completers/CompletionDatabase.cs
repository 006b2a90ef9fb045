using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using QueueCtl.Core;

namespace QueueCtl.PowerShell.Completers;

/// <summary>Opens the queue a command line is about (its -Database, else the default) for completers.</summary>
internal static class CompletionDatabase
{
    /// <summary>Runs <paramref name="query"/> on the queue; completion never fails loudly, so any error gives no results.</summary>
    public static IEnumerable<CompletionResult> Complete(IDictionary fakeBoundParameters, string wordToComplete,
        Func<JobQueue, string, IEnumerable<string>> query)
    {
        var prefix = (wordToComplete ?? "").Trim('\'', '"');
        List<string> values;
        try
        {
            var database = fakeBoundParameters["Database"] as string;
            if (database is not null && !File.Exists(database)) return [];
            if (database is null && !File.Exists(Core.Storage.DatabaseLocation.Resolve())) return [];
            using var queue = JobQueue.Open(database);
            values = query(queue, prefix).ToList();
        }
        catch (Exception)
        {
            return [];
        }
        return values
            .Where(v => v.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(v => new CompletionResult(Quoted(v), v, CompletionResultType.ParameterValue, v));
    }

    /// <summary>Names with characters PowerShell would split on are completed in single quotes.</summary>
    public static string Quoted(string value) =>
        value.Any(c => char.IsWhiteSpace(c) || "'\"`$(){}[];,&|@#<>".Contains(c)) ? "'" + value.Replace("'", "''") + "'" : value;
}

/// <summary>Completes job ids from the database.</summary>
public sealed class JobIdCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        CompletionDatabase.Complete(fakeBoundParameters, wordToComplete, (queue, prefix) => queue.ListJobIds(prefix));
}
