using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using QueueCtl.Core.Config;

namespace QueueCtl.PowerShell.Completers;

/// <summary>Completes configuration key names (they are fixed, so no database is opened).</summary>
public sealed class ConfigKeyCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        ConfigKey.All
            .Where(k => k.Name.StartsWith((wordToComplete ?? "").Trim('\'', '"'), StringComparison.OrdinalIgnoreCase))
            .Select(k => new CompletionResult(k.Name, k.Name, CompletionResultType.ParameterValue, $"{k.Description} ({k.Range}, default {ConfigKey.Format(k.Default)})"));
}
