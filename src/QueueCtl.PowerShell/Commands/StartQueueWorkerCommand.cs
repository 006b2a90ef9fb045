using System.Diagnostics;
using System.Management.Automation;
using System.Text;
using QueueCtl.Core.Errors;
using QueueCtl.Core.Workers;
using QueueCtl.PowerShell.Completers;
using QueueCtl.PowerShell.Jobs;

namespace QueueCtl.PowerShell.Commands;

/// <summary>
/// Starts workers and returns at once: detached child pwsh processes running Invoke-QueueWorker
/// (they outlive this session; their log goes next to the database under logs/), or with -AsJob
/// workers inside this session, returned as one PowerShell job.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "QueueWorker", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low,
    DefaultParameterSetName = DetachedSet)]
[OutputType(typeof(QueueWorker), ParameterSetName = [DetachedSet])]
[OutputType(typeof(QueueWorkerJob), ParameterSetName = [JobSet])]
public sealed class StartQueueWorkerCommand : QueueCmdletBase
{
    private const string DetachedSet = "Detached";
    private const string JobSet = "AsJob";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How many workers to start.</summary>
    [Parameter(Position = 0)]
    [ValidateRange(1, 64)]
    public int Count { get; set; } = 1;

    /// <summary>Jobs each worker runs at once.</summary>
    [Parameter]
    [ValidateRange(1, WorkerOptions.MaxSlots)]
    public int Slots { get; set; } = 1;

    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(QueueNameCompleter))]
    public string[]? Queue { get; set; }

    /// <summary>Workers return once nothing is due (useful with -AsJob and Wait-Job).</summary>
    [Parameter]
    public SwitchParameter Drain { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = JobSet)]
    public SwitchParameter AsJob { get; set; }

    /// <summary>The PowerShell job's name (-AsJob).</summary>
    [Parameter(ParameterSetName = JobSet)]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    protected override void EndProcessing()
    {
        var databasePath = Jobs.DatabasePath;
        var queues = Queue ?? [];
        var what = $"{Count} worker(s) with {Slots} slot(s) each on queue(s) {(queues.Length == 0 ? "*" : string.Join(",", queues))} of {databasePath}";
        if (!ShouldProcess(what, AsJob ? "Start queue workers as a job" : "Start detached queue workers")) return;
        if (AsJob) StartJob(databasePath, queues);
        else StartDetached(databasePath, queues);
    }

    private void StartJob(string databasePath, string[] queues)
    {
        var workers = new List<Worker>();
        try
        {
            for (var i = 0; i < Count; i++)
                workers.Add(new Worker(databasePath, new WorkerOptions { Slots = Slots, Queues = queues, Drain = Drain }));
        }
        catch (QueueException e) { ThrowTerminatingError(ToErrorRecord(e)); }
        var job = new QueueWorkerJob(MyInvocation.Line, Name, workers);
        QueueWorkerJobSourceAdapter.Remember(job);
        JobRepository.Add(job);
        job.StartJob();
        WriteVerbose($"Started job {job.Name} running worker(s) {string.Join(", ", job.WorkerIds)}.");
        WriteObject(job);
    }

    private void StartDetached(string databasePath, string[] queues)
    {
        var psd1 = Path.Combine(Path.GetDirectoryName(typeof(StartQueueWorkerCommand).Assembly.Location)!, "QueueCtl.psd1");
        var pwsh = Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self).Equals("pwsh", StringComparison.OrdinalIgnoreCase)
            ? self : "pwsh";
        var logFolder = Path.Combine(Path.GetDirectoryName(databasePath)!, "logs");
        var started = new List<(string Id, Process Process, string Log)>();
        for (var i = 0; i < Count; i++)
        {
            var id = Worker.NewWorkerId();
            var log = Path.Combine(logFolder, id + ".log");
            var script = new StringBuilder()
                .Append("$ErrorActionPreference = 'Stop'; try { ")
                .Append("Import-Module ").Append(Quote(psd1)).Append("; ")
                .Append("Invoke-QueueWorker -Database ").Append(Quote(databasePath))
                .Append(" -WorkerId ").Append(Quote(id))
                .Append(" -Slots ").Append(Slots)
                .Append(" -LogPath ").Append(Quote(log));
            if (queues.Length > 0) script.Append(" -Queue ").Append(string.Join(",", queues.Select(Quote)));
            if (Drain) script.Append(" -Drain");
            script.Append(" | Out-Null } catch { Add-Content -LiteralPath ").Append(Quote(log))
                  .Append(" -Value (\"worker failed to start: \" + $_); exit 1 }");
            try
            {
                Directory.CreateDirectory(logFolder);
                started.Add((id, Launch(pwsh, script.ToString()), log));
                WriteVerbose($"Started worker {id} (pid {started[^1].Process.Id}); its log is {log}.");
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or UnauthorizedAccessException)
            {
                WriteError(new ErrorRecord(e, "WorkerStartFailed", ErrorCategory.ResourceUnavailable, id));
            }
        }
        foreach (var worker in WaitRegistered(started)) WriteObject(worker);
    }

    /// <summary>Waits until each started worker has registered itself; reports those whose process ended first.</summary>
    private IEnumerable<QueueWorker> WaitRegistered(List<(string Id, Process Process, string Log)> started)
    {
        var pending = started.ToList();
        var deadline = DateTime.UtcNow + StartTimeout;
        var found = new List<QueueWorker>();
        while (pending.Count > 0 && !Cancellation.IsCancellationRequested)
        {
            var workers = Jobs.ListWorkers(includeStopped: true).ToDictionary(w => w.Id, StringComparer.Ordinal);
            foreach (var item in pending.ToList())
            {
                if (workers.TryGetValue(item.Id, out var worker))
                {
                    found.Add(worker);
                    pending.Remove(item);
                }
                else if (item.Process.HasExited || DateTime.UtcNow > deadline)
                {
                    var tail = File.Exists(item.Log) ? string.Join(" ", File.ReadLines(item.Log).TakeLast(3)) : "";
                    var why = item.Process.HasExited ? $"its process exited with code {item.Process.ExitCode}" : $"it did not register within {StartTimeout.TotalSeconds:0} s";
                    WriteError(NewError("WorkerStartFailed", ErrorCategory.ResourceUnavailable,
                        $"Worker {item.Id} did not start: {why}. {tail}".TrimEnd(), item.Id));
                    pending.Remove(item);
                }
            }
            if (pending.Count > 0) Thread.Sleep(50);
        }
        return found;
    }

    private static Process Launch(string pwsh, string script)
    {
        var encoded = Convert.ToBase64String(Encoding.Unicode.GetBytes(script));
        // On Linux, setsid puts the worker in its own session so Ctrl+C in this terminal does not reach it.
        var setsid = OperatingSystem.IsLinux() ? new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists) : null;
        var info = new ProcessStartInfo(setsid ?? pwsh)
        {
            UseShellExecute = false,
            CreateNoWindow = true,
            // Detached: the worker must not hold this session's terminal or pipes open. It writes its
            // events to its log; anything pwsh itself prints is read and dropped.
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (setsid is not null) info.ArgumentList.Add(pwsh);
        foreach (var arg in new[] { "-NoLogo", "-NoProfile", "-NonInteractive", "-EncodedCommand", encoded })
            info.ArgumentList.Add(arg);
        var process = Process.Start(info) ?? throw new IOException($"Could not start {pwsh}.");
        process.StandardInput.Close();
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static string Quote(string text) => "'" + text.Replace("'", "''") + "'";
}
