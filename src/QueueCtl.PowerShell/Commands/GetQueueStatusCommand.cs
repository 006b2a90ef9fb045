using System.Management.Automation;
using QueueCtl.Core.Status;

namespace QueueCtl.PowerShell.Commands;

/// <summary>The queue at a glance: jobs per state (and per queue in .Queues), workers, durations and throughput.</summary>
[Cmdlet(VerbsCommon.Get, "QueueStatus")]
[OutputType(typeof(QueueStatus))]
public sealed class GetQueueStatusCommand : QueueCmdletBase
{
    protected override void EndProcessing() => WriteObject(Jobs.GetStatus());
}
