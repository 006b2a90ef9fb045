using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using QueueCtl.Bench;

// Child modes first: they must not pay for (or print) anything else.
if (args is ["--noop", ..]) return 0;
if (args is ["--child-worker", ..]) return await ChildWorker.RunAsync(args[1..]);

var options = BenchOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine("usage: dotnet run -c Release --project bench -- [--quick] [--runs N] [--only GROUP,...] [--markdown FILE]");
    Console.Error.WriteLine("groups: limits, enqueue, cli, claim, shell, pickup, idle");
    return 2;
}
#if DEBUG
Console.Error.WriteLine("warning: this is a Debug build; numbers mean little. Run with -c Release.");
#endif
var total = Stopwatch.StartNew();
using var scratch = new Scratch();
Console.WriteLine($"QueueCtl bench ({(options.Quick ? "quick" : "full")} mode, {options.Runs} runs per figure), {Machine.Describe(scratch.Folder)}");
var rows = await Suite.RunAsync(options, scratch);
Console.WriteLine();
Console.WriteLine($"queuectl: {Paths.InstallSummary}");
Console.WriteLine(Table.Render(rows, markdown: false));
Console.WriteLine($"total {total.Elapsed.TotalSeconds:0.0} s");
if (options.MarkdownPath is { } md)
{
    File.WriteAllText(md, $"Run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {(options.Quick ? "quick" : "full")} mode, {options.Runs} runs per figure, {total.Elapsed.TotalSeconds:0} s.\n" +
        $"Machine: {Machine.Describe(scratch.Folder)}\nqueuectl: {Paths.InstallSummary}\n\n" + Table.Render(rows, markdown: true));
    Console.WriteLine($"markdown table written to {md}");
}
return 0;

namespace QueueCtl.Bench
{
    internal sealed record BenchOptions
    {
        public bool Quick { get; init; }
        public int Runs { get; init; }
        public HashSet<string>? Only { get; init; }
        public string? MarkdownPath { get; init; }

        // Sizes: the full run uses the issue's; --quick keeps the whole run under two minutes.
        public TimeSpan LimitDuration => Quick ? TimeSpan.FromMilliseconds(300) : TimeSpan.FromSeconds(1);
        public int BatchJobs => Quick ? 20_000 : 100_000;
        public int ShallowDepth => 1_000;
        public int DeepDepth => Quick ? 20_000 : 1_000_000;
        public int DeepMeasured => Quick ? 10_000 : 100_000;
        public int ShellJobs => Quick ? 150 : 500;
        public int PickupSamples => Quick ? 200 : 300;
        public int PickupRuns => Quick ? 1 : 3;
        public TimeSpan IdleDuration => Quick ? TimeSpan.FromSeconds(5) : TimeSpan.FromSeconds(30);
        public int CliWarmRuns => Quick ? 5 : 10;

        public bool Wants(string group) => Only is null || Only.Contains(group);

        public static BenchOptions? Parse(string[] args)
        {
            var o = new BenchOptions();
            int? runs = null;
            for (var i = 0; i < args.Length; i++)
            {
                switch (args[i])
                {
                    case "--quick": o = o with { Quick = true }; break;
                    case "--runs" when i + 1 < args.Length: runs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                    case "--only" when i + 1 < args.Length: o = o with { Only = args[++i].Split(',').ToHashSet(StringComparer.Ordinal) }; break;
                    case "--patience" when i + 1 < args.Length: WorkerBench.Patience = TimeSpan.FromSeconds(int.Parse(args[++i], CultureInfo.InvariantCulture)); break;
                    case "--markdown" when i + 1 < args.Length: o = o with { MarkdownPath = Path.GetFullPath(args[++i]) }; break;
                    default: return null;
                }
            }
            return o with { Runs = runs ?? (o.Quick ? 3 : 5) };
        }
    }

    internal static class Machine
    {
        public static string Describe(string folder)
        {
            var cpu = "unknown CPU";
            try { cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu; }
            catch (IOException) { }
            string sqlite;
            // The bench's first connection: SQLite takes Core's process settings only before it starts,
            // and every row in this process should run it as queuectl's processes do.
            QueueCtl.Core.Storage.SqliteProcessSettings.Apply();
            using (var c = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=:memory:"))
            {
                c.Open();
                using var v = c.CreateCommand();
                v.CommandText = "select sqlite_version()";
                sqlite = (string)v.ExecuteScalar()!;
            }
            var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
            return $"{Environment.ProcessorCount} cores ({cpu}), {memory:0} GiB, {RuntimeInformation.OSDescription.Trim()}, .NET {Environment.Version}, SQLite {sqlite}, scratch {folder}";
        }
    }
}
