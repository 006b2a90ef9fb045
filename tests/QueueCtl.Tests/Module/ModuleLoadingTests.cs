using System.Diagnostics;
using System.Text.Json;
using QueueCtl.Core;
using QueueCtl.Tests.Support;

namespace QueueCtl.Tests.Module;

/// <summary>
/// The built module loaded by a separate process that stands in for pwsh (tests/QueueCtl.ModuleHost):
/// its application base is neither the module folder nor anywhere SQLite lives, so the module has to
/// find QueueCtl.Core, Microsoft.Data.Sqlite and the native e_sqlite3 through its own resolution.
/// </summary>
public sealed class ModuleLoadingTests
{
    private static string HostDll => Path.Combine(RepoPaths.Root, "tests", "QueueCtl.ModuleHost", "bin", RepoPaths.Configuration, "net8.0", "QueueCtl.ModuleHost.dll");
    private static string ModuleFolder => Path.Combine(RepoPaths.Root, "out", "QueueCtl");

    [Fact]
    public void The_host_process_has_none_of_the_module_dependencies_beside_it()
    {
        var hostFolder = Path.GetDirectoryName(HostDll)!;
        Assert.True(File.Exists(HostDll), $"{HostDll} is missing: the test project builds it.");
        Assert.DoesNotContain(Directory.EnumerateFiles(hostFolder, "*", SearchOption.AllDirectories),
            f => Path.GetFileName(f).Contains("sqlite", StringComparison.OrdinalIgnoreCase) || Path.GetFileName(f).StartsWith("QueueCtl.Core", StringComparison.Ordinal));
    }

    [Fact]
    public void Importing_the_module_loads_Core_and_SQLite_privately_and_e_sqlite3_from_the_module_folder()
    {
        using var temp = new TempQueue();
        var report = RunHost(temp);

        Assert.Equal("Default", report.GetProperty("moduleContext").GetString());
        Assert.False(report.GetProperty("coreLoadedBeforeImport").GetBoolean(), "pwsh inspects the module's types before OnImport; that must not need Core.");
        Assert.Equal(1, report.GetProperty("initializers").GetInt32());
        Assert.Equal("QueueCtl", report.GetProperty("coreContext").GetString());
        Assert.Equal(Path.Combine(ModuleFolder, "dependencies", "QueueCtl.Core.dll"), report.GetProperty("coreLocation").GetString());
        Assert.Equal("QueueCtl", report.GetProperty("sqliteContext").GetString());
        Assert.Equal("QueueCtl", report.GetProperty("providerContext").GetString());
        Assert.Equal(Path.Combine(ModuleFolder, "dependencies", "Microsoft.Data.Sqlite.dll"), report.GetProperty("sqliteLocation").GetString());
        Assert.False(report.GetProperty("defaultContextSeesSqlite").GetBoolean(), "Other modules (in the default context) must not pick up the module's SQLite.");
        Assert.Equal(1, report.GetProperty("pending").GetInt64());
        if (OperatingSystem.IsLinux())
        {
            var native = report.GetProperty("nativeLibrary").GetString();
            Assert.NotNull(native);
            Assert.StartsWith(Path.Combine(ModuleFolder, "dependencies", "runtimes") + Path.DirectorySeparatorChar, native);
        }

        // The job the module wrote is in a real queue that Core in this process reads back.
        using var queue = JobQueue.Open(temp.DatabasePath);
        Assert.Equal("echo hello", queue.GetJob("loaded-from-module-folder").Command);
    }

    private static JsonElement RunHost(TempQueue temp)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = temp.Folder, // neither the module folder nor the host's
        };
        info.ArgumentList.Add(HostDll);
        info.ArgumentList.Add(ModuleFolder);
        info.ArgumentList.Add(temp.DatabasePath);
        info.Environment.Remove("QUEUECTL_DB");
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "the module host did not finish within 60 s");
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"the module host exited with {process.ExitCode}:\n{stdout.Result}\n{stderr.Result}");
        return JsonDocument.Parse(stdout.Result).RootElement.Clone();
    }
}
