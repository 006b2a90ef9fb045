using QueueCtl.Core.Jobs;
using QueueCtl.Core.Processes;

namespace QueueCtl.Tests.Faults;

/// <summary>
/// A job command that records what actually ran, independent of the database: a line "S id attempt"
/// when an attempt starts and "E id attempt" when it ends. It holds an flock on a per-job file while
/// it runs; a second copy of the same job starting while the first still runs cannot take the lock
/// and records "DUP id attempt" instead (the kernel drops the lock when the holder dies, so a killed
/// attempt does not block the next one).
/// </summary>
public sealed class MarkerJob
{
    public MarkerJob(string folder, double sleepSeconds)
    {
        Folder = folder;
        Directory.CreateDirectory(Path.Combine(folder, "locks"));
        MarkerLog = Path.Combine(folder, "markers.log");
        Script = Path.Combine(folder, "job.sh");
        File.WriteAllText(Script, $$"""
            #!/bin/sh
            log='{{MarkerLog}}'
            exec 9>'{{Path.Combine(folder, "locks")}}'/"$QUEUECTL_JOB_ID"
            if ! flock -n 9; then echo "DUP $QUEUECTL_JOB_ID $QUEUECTL_ATTEMPT" >> "$log"; exit 3; fi
            echo "S $QUEUECTL_JOB_ID $QUEUECTL_ATTEMPT" >> "$log"
            sleep "${JOB_SLEEP:-{{sleepSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}"
            echo "E $QUEUECTL_JOB_ID $QUEUECTL_ATTEMPT" >> "$log"
            """.Replace("\r", ""));
    }

    public string Folder { get; }
    public string MarkerLog { get; }
    public string Script { get; }
    // Unquoted where PlainCommand reads the line as sh and the script's path: then it starts
    // without an extra shell, which is how most real jobs start.
    public string Command => PlainCommand.Words($"sh {Script}") is [_, _] ? $"sh {Script}" : $"sh '{Script}'";

    /// <param name="sleepSeconds">Overrides the default run time for this job (long jobs outlive a crashed worker).</param>
    public JobSpec Spec(string id, int maxRetries = 20, double? sleepSeconds = null) => new()
    {
        Id = id, Command = Command, MaxRetries = maxRetries,
        Environment = sleepSeconds is { } s
            ? new Dictionary<string, string> { ["JOB_SLEEP"] = s.ToString(System.Globalization.CultureInfo.InvariantCulture) } : null,
    };

    public Markers Read() => Markers.Parse(File.Exists(MarkerLog) ? File.ReadAllLines(MarkerLog) : []);
}

/// <summary>What the marker log says ran.</summary>
public sealed class Markers
{
    public HashSet<(string Id, int Attempt)> Started { get; } = [];
    public HashSet<(string Id, int Attempt)> Ended { get; } = [];
    public List<(string Id, int Attempt)> Duplicates { get; } = [];

    public static Markers Parse(IEnumerable<string> lines)
    {
        var markers = new Markers();
        foreach (var line in lines)
        {
            var parts = line.Split(' ');
            if (parts.Length != 3 || !int.TryParse(parts[2], out var attempt)) continue; // a line cut by a kill
            var entry = (parts[1], attempt);
            switch (parts[0])
            {
                case "S": markers.Started.Add(entry); break;
                case "E": markers.Ended.Add(entry); break;
                case "DUP": markers.Duplicates.Add(entry); break;
            }
        }
        return markers;
    }

    /// <summary>Jobs whose command ran to its end more than once (at-least-once after a crash: allowed, reported).</summary>
    public int JobsEndedMoreThanOnce => Ended.GroupBy(e => e.Id).Count(g => g.Count() > 1);
}
