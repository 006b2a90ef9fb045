using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace QueueCtl.PowerShell.Completers;

/// <summary>Completes the names of queues that hold jobs.</summary>
public sealed class QueueNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        CompletionDatabase.Complete(fakeBoundParameters, wordToComplete, (queue, _) => queue.ListQueues());
}
