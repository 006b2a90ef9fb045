using System.Management.Automation;
using QueueCtl.Core.Config;
using QueueCtl.PowerShell.Completers;

namespace QueueCtl.PowerShell.Commands;

/// <summary>Sets a configuration key after checking its range; workers see it before their next claim.</summary>
[Cmdlet(VerbsCommon.Set, "QueueConfig", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(QueueConfigEntry))]
public sealed class SetQueueConfigCommand : QueueCmdletBase
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ConfigKeyCompleter))]
    public string Key { get; set; } = "";

    /// <summary>The new value, as text or a number (invariant culture: 0.5, not 0,5).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNull]
    public object Value { get; set; } = "";

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var raw = Value is PSObject wrapped ? wrapped.BaseObject : Value;
        var text = raw is IFormattable formattable
            ? formattable.ToString(null, System.Globalization.CultureInfo.InvariantCulture)
            : raw.ToString() ?? "";
        if (!ShouldProcess(Key, $"Set queue configuration to {text}")) return;
        TryItem(() =>
        {
            var entry = Jobs.SetConfig(Key, text);
            WriteVerbose($"Set {entry.Key} to {entry.Value}.");
            if (PassThru) WriteObject(entry);
        }, Key);
    }
}
