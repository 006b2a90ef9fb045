using System.Collections;
using System.Management.Automation;
using QueueCtl.Core.Errors;
using QueueCtl.Core.Jobs;
using QueueCtl.PowerShell.Completers;

namespace QueueCtl.PowerShell.Commands;

/// <summary>
/// Enqueues jobs from parameters, from strings on the pipeline (one command line each) or from
/// objects whose properties are named like the parameters (Import-Csv, ConvertFrom-Json).
/// Pipeline input is written in batches of <see cref="BatchSize"/>, not a transaction per object.
/// </summary>
[Cmdlet(VerbsCommon.Add, "QueueJob", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low,
    DefaultParameterSetName = CommandSet)]
[OutputType(typeof(QueueJob))]
public sealed class AddQueueJobCommand : QueueCmdletBase
{
    private const string CommandSet = "Command";
    private const string ScriptBlockSet = "ScriptBlock";
    internal const int BatchSize = 1000;

    private readonly List<JobSpec> _batch = new(BatchSize);
    private object? _shell; // boxed JobShell: see Loading/ModuleLoadContext.cs on why no Core value-type fields

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = CommandSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Command { get; set; } = "";

    /// <summary>A script block run by pwsh (the job's shell becomes pwsh).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ScriptBlockSet)]
    public ScriptBlock? ScriptBlock { get; set; }

    // Parameters bound from objects take null and empty values (a JSON null, an empty CSV cell) as
    // "not given", so they carry no Validate* attributes: Core checks the values and says what is wrong.

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Id { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(QueueNameCompleter))]
    public string? Queue { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int Priority { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int? MaxRetries { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int? TimeoutSec { get; set; }

    /// <summary>Not before this time; a DateTime without an offset is taken as local time.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public DateTimeOffset? RunAt { get; set; }

    /// <summary>Not before now plus this much.</summary>
    [Parameter]
    public TimeSpan? Delay { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? WorkingDirectory { get; set; }

    [Parameter]
    public Hashtable? Environment { get; set; }

    /// <summary>How the command line is run; unset, the platform's default (sh, or cmd on Windows).</summary>
    [Parameter]
    public JobShell Shell
    {
        get => _shell is JobShell shell ? shell : default;
        set => _shell = value;
    }

    /// <summary>Skip jobs whose id already exists instead of refusing them.</summary>
    [Parameter]
    public SwitchParameter SkipExisting { get; set; }

    /// <summary>Write the enqueued jobs to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var spec = BuildSpec();
        if (!ShouldProcess(spec.ToString(), $"Add queue job to queue '{spec.Queue ?? "default"}'")) return;
        if (!TryItem(() => Jobs.Validate(spec), spec)) return;
        _batch.Add(spec);
        if (_batch.Count >= BatchSize) Flush();
    }

    protected override void EndProcessing() => Flush();

    private JobSpec BuildSpec()
    {
        var spec = new JobSpec
        {
            Id = NullIfEmpty(Id),
            Command = ScriptBlock?.ToString().Trim() ?? Command,
            Queue = NullIfEmpty(Queue),
            Priority = Priority,
            MaxRetries = MaxRetries,
            TimeoutSec = TimeoutSec,
            RunAt = RunAt,
            Delay = Delay,
            WorkingDirectory = NullIfEmpty(WorkingDirectory) is { } folder ? SessionState.Path.GetUnresolvedProviderPathFromPSPath(folder) : null,
        };
        if (ScriptBlock is not null) spec.Shell = JobShell.Pwsh;
        else if (_shell is JobShell shell) spec.Shell = shell;
        if (Environment is not null)
        {
            spec.Environment = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (DictionaryEntry entry in Environment)
                spec.Environment[entry.Key.ToString() ?? ""] = entry.Value?.ToString() ?? "";
        }
        return spec;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>Writes the batch in one transaction; if it is refused, retries item by item so only the culprits fail.</summary>
    private void Flush()
    {
        if (_batch.Count == 0) return;
        var batch = _batch.ToList();
        _batch.Clear();
        var duplicates = SkipExisting ? DuplicatePolicy.Skip : DuplicatePolicy.Fail;
        IReadOnlyList<string> added;
        try
        {
            var result = Jobs.EnqueueMany(batch, duplicates);
            added = result.Added;
            foreach (var skipped in result.Skipped) WriteVerbose($"Skipped job {skipped}: a job with that id already exists.");
        }
        catch (QueueException e) when (!IsDatabaseFailure(e) && batch.Count > 1)
        {
            WriteVerbose($"The batch of {batch.Count} was refused ({e.Message}); adding its jobs one by one.");
            var one = new List<string>();
            foreach (var spec in batch)
                TryItem(() => one.AddRange(Jobs.EnqueueMany([spec], duplicates).Added), spec);
            added = one;
        }
        catch (QueueException e)
        {
            if (IsDatabaseFailure(e)) ThrowTerminatingError(ToErrorRecord(e));
            WriteError(ToErrorRecord(e, batch[0]));
            return;
        }
        WriteVerbose($"Added {added.Count} job(s).");
        if (!PassThru || added.Count == 0) return;
        var jobs = Jobs.ListJobs(new JobFilter { Ids = added }).ToDictionary(j => j.Id, StringComparer.Ordinal);
        foreach (var id in added)
            if (jobs.TryGetValue(id, out var job)) WriteObject(job);
    }
}
