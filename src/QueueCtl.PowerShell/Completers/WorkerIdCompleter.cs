using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace QueueCtl.PowerShell.Completers;

/// <summary>Completes the ids of registered workers (live ones first).</summary>
public sealed class WorkerIdCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        CompletionDatabase.Complete(fakeBoundParameters, wordToComplete,
            (queue, _) => queue.ListWorkers(includeStopped: true).OrderBy(w => w.StoppedAt.HasValue).Select(w => w.Id));
}
