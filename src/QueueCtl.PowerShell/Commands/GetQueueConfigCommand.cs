using System.Management.Automation;
using QueueCtl.Core.Config;
using QueueCtl.PowerShell.Completers;

namespace QueueCtl.PowerShell.Commands;

/// <summary>Shows configuration keys: their value, default, allowed range and meaning.</summary>
[Cmdlet(VerbsCommon.Get, "QueueConfig")]
[OutputType(typeof(QueueConfigEntry))]
public sealed class GetQueueConfigCommand : QueueCmdletBase
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ConfigKeyCompleter))]
    public string[]? Key { get; set; }

    protected override void ProcessRecord()
    {
        if (Key is null)
        {
            foreach (var entry in Jobs.GetConfigEntries()) WriteObject(entry);
            return;
        }
        foreach (var key in Key) TryItem(() => WriteObject(Jobs.GetConfigEntry(key)), key);
    }
}
