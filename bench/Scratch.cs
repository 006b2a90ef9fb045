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

    /// <summary>The queuectl built with the same configuration as the bench: (file, leading arguments).</summary>
    public static (string File, string[] Prefix)? Queuectl()
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
