using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace QueueCtl.Bench;

/// <summary>A temporary folder for the run's databases and files, removed at the end.</summary>
internal sealed class Scratch : IDisposable
{
    private int _next;

    public Scratch()
    {
        Folder = Path.Combine(Path.GetTempPath(), "queuectl-bench", $"{Environment.ProcessId}-{Guid.NewGuid():n}"[..20]);
        Directory.CreateDirectory(Folder);
    }

    public string Folder { get; }

    /// <summary>A path for a new database (nothing exists there yet).</summary>
    public string NewDatabase(string label) => Path.Combine(Folder, $"{label}-{Interlocked.Increment(ref _next)}.db");

    public string File(string name) => Path.Combine(Folder, name);

    public static void Delete(string database)
    {
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" })
            try { System.IO.File.Delete(database + suffix); } catch (IOException) { }
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Where the repository and the queuectl executable built beside the bench are.</summary>
internal static class Paths
{
    public static string RepoRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "QueueCtl.sln"))) return dir.FullName;
        throw new InvalidOperationException($"cannot find QueueCtl.sln above {AppContext.BaseDirectory}");
    }

#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif

    /// <summary>
    /// The queuectl every row that starts a queuectl process runs: the one ./install.sh put in the
    /// scratch folder (what users run), else the one built beside the bench.
    /// </summary>
    public static (string File, string[] Prefix)? Queuectl() => Installed ?? Built();

    /// <summary>queuectl as ./install.sh installed it for this run (see <see cref="Install"/>); null before, or when it failed.</summary>
    public static (string File, string[] Prefix)? Installed { get; private set; }

    /// <summary>What install.sh said it installed ("native, net10.0"), or why it could not.</summary>
    public static string InstallSummary { get; private set; } = "not installed";

    /// <summary>Runs ./install.sh --prefix SCRATCH/install once per bench run (POSIX only).</summary>
    public static void Install(Scratch scratch)
    {
        if (Installed is not null || OperatingSystem.IsWindows()) return;
        var prefix = scratch.File("install");
        var info = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(RepoRoot, "install.sh"), "--prefix", prefix }) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var exe = Path.Combine(prefix, "bin", "queuectl");
        if (process.ExitCode == 0 && System.IO.File.Exists(exe))
        {
            Installed = (exe, []);
            // "installed queuectl (native, net10.0) in ..." -> "native, net10.0"
            var line = stdout.Split('\n').FirstOrDefault(l => l.StartsWith("installed queuectl (", StringComparison.Ordinal)) ?? "";
            InstallSummary = line.Length > 0 ? line[(line.IndexOf('(') + 1)..line.IndexOf(')')] : "installed";
        }
        else
            InstallSummary = $"install.sh failed ({process.ExitCode}): {stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()}";
    }

    /// <summary>The queuectl built with the same configuration as the bench (dotnet build: net8.0, no ReadyToRun).</summary>
    public static (string File, string[] Prefix)? Built()
    {
        var bin = Path.Combine(RepoRoot, "src", "QueueCtl.Cli", "bin", Configuration);
        if (!Directory.Exists(bin)) return null;
        foreach (var framework in Directory.GetDirectories(bin).OrderByDescending(d => d, StringComparer.Ordinal))
        {
            var host = Path.Combine(framework, OperatingSystem.IsWindows() ? "queuectl.exe" : "queuectl");
            if (System.IO.File.Exists(host)) return (host, []);
            var dll = Path.Combine(framework, "queuectl.dll");
            if (System.IO.File.Exists(dll)) return ("dotnet", [dll]);
        }
        return null;
    }

    /// <summary>This bench executable, to start it again as a child.</summary>
    public static (string File, string[] Prefix) Self()
    {
        var host = Environment.ProcessPath!;
        var dll = Path.Combine(AppContext.BaseDirectory, "QueueCtl.Bench.dll");
        return Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase) ? (host, [dll]) : (host, []);
    }

    /// <summary>
    /// This bench executable started as a child worker (see <see cref="ChildWorker"/>). Its code is
    /// compiled fully at first use (tiered compilation off), as in `queuectl`'s native workers: with
    /// tiering on, four children recompiling their hot methods on two cores during the timed run had
    /// the JIT in 28% of the machine's samples and twice the CPU per job. (Once warm, tiered code
    /// with profile guidance is 10–20% faster than this; the in-process rows run on it.)
    /// </summary>
    public static ProcessStartInfo ChildWorkerStartInfo(IEnumerable<string> args)
    {
        var info = StartInfo(Self(), ["--child-worker", .. args]);
        info.Environment["DOTNET_TieredCompilation"] = "0";
        return info;
    }

    public static ProcessStartInfo StartInfo((string File, string[] Prefix) exe, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(exe.File)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in exe.Prefix.Concat(args)) info.ArgumentList.Add(a);
        return info;
    }
}
