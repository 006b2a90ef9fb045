using System.Globalization;
using QueueCtl.Tests.Support;
using Xunit.Abstractions;

namespace QueueCtl.Tests.Faults;

/// <summary>One fault's figures: what was injected and what became of every job.</summary>
public sealed record FaultOutcome(
    string Fault, int FaultsInjected, int Enqueued, int Completed, int Dead, int Lost,
    int ConcurrentDuplicates, int IntegrityFailures, string Notes = "")
{
    public string Row() => string.Create(CultureInfo.InvariantCulture,
        $"| {Fault} | {FaultsInjected} | {Enqueued} | {Completed} | {Dead} | {Lost} | {ConcurrentDuplicates} | {IntegrityFailures} | {Notes} |");
}

/// <summary>
/// Collects the campaign's table in TestResults/fault-report.md (test.sh prints it at the end).
/// Rows are appended as each fault finishes; the first row of a test run starts the file anew,
/// so that the table speaks of one run at one scale.
/// </summary>
public static class FaultReport
{
    private static readonly object Gate = new();
    private static bool s_started;

    public static string PathOnDisk { get; } =
        Environment.GetEnvironmentVariable("QUEUECTL_FAULT_REPORT") is { Length: > 0 } path
            ? path : Path.Combine(RepoPaths.Root, "TestResults", "fault-report.md");

    public static void Record(FaultOutcome outcome, ITestOutputHelper? output = null)
    {
        lock (Gate)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(PathOnDisk)!);
            if (!s_started)
                File.WriteAllText(PathOnDisk,
                    $"Fault campaign ({(FaultScale.Large ? "large" : "ci")} scale)\n\n" +
                    "| fault | faults injected | jobs enqueued | completed | dead | lost | run concurrently twice | integrity failures | notes |\n" +
                    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
            s_started = true;
            File.AppendAllText(PathOnDisk, outcome.Row() + "\n");
        }
        output?.WriteLine(outcome.Row());
    }
}
