using System.Management.Automation;
using QueueCtl.PowerShell.Completers;

namespace QueueCtl.PowerShell.Commands;

/// <summary>Writes the captured output (the tail of stdout and stderr) of each job's last attempt, line by line.</summary>
[Cmdlet(VerbsCommunications.Receive, "QueueJob")]
[OutputType(typeof(string))]
public sealed class ReceiveQueueJobCommand : QueueCmdletBase
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(JobIdCompleter))]
    public string[] Id { get; set; } = [];

    protected override void ProcessRecord()
    {
        foreach (var id in Id)
        {
            TryItem(() =>
            {
                var job = Jobs.GetJob(id);
                if (string.IsNullOrEmpty(job.Output))
                {
                    WriteVerbose($"Job {id} has no captured output ({job.State.ToString().ToLowerInvariant()}, {job.Attempts} attempt(s)).");
                    return;
                }
                var lines = job.Output.Replace("\r\n", "\n").Split('\n');
                var count = lines[^1].Length == 0 ? lines.Length - 1 : lines.Length;
                for (var i = 0; i < count; i++) WriteObject(lines[i]);
            }, id);
        }
    }
}
