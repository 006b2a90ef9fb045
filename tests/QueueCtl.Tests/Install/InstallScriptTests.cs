using System.Diagnostics;
using System.Reflection.PortableExecutable;
using System.Security.Cryptography;
using System.Text.Json;
using QueueCtl.Tests.Support;

namespace QueueCtl.Tests.Install;

/// <summary>./install.sh: a real publish into a temporary prefix, and the installed queuectl run for real.</summary>
public class InstallScriptTests
{
    [Fact]
    public void Installs_a_native_queuectl_that_runs_then_replaces_it_with_a_framework_dependent_one()
    {
        using var temp = new TempQueue();
        var assets = Path.Combine(RepoPaths.Root, "src", "QueueCtl.Cli", "obj", "project.assets.json");
        var assetsBefore = Hash(assets);

        // Default: native code. A relative prefix is relative to where the script was run, not to the repository.
        var first = RunInstall(temp.Folder, "--prefix", "home");
        Assert.True(first.ExitCode == 0, first.ToString());
        var prefix = Path.Combine(temp.Folder, "home");
        var lib = Path.Combine(prefix, "lib", "queuectl");
        Assert.Equal($"installed queuectl (native, {NewestFramework()}) in {lib}", InstalledLine(first));
        var program = File.ReadAllBytes(Path.Combine(lib, "queuectl"));
        Assert.Equal("\u007fELF"u8.ToArray(), program[..4]);
        Assert.False(File.Exists(Path.Combine(lib, "queuectl.dll")), "a native install should not need queuectl.dll");

        // The command on PATH is a link into lib/, and it works: JSON in, JSON out, a job run by its worker.
        var command = Path.Combine(prefix, "bin", "queuectl");
        Assert.Equal(Path.Combine("..", "lib", "queuectl", "queuectl"), new FileInfo(command).LinkTarget);
        var db = temp.File("q.db");
        var enqueue = Run(command, temp.Folder, "enqueue", """{"id":"from-install","command":"echo native $GREETING","environment":{"GREETING":"hi"}}""", "--db", db);
        Assert.True(enqueue.ExitCode == 0, enqueue.ToString());
        var work = Run(command, temp.Folder, "worker", "run", "--once", "--db", db);
        Assert.True(work.ExitCode == 0, work.ToString());
        var show = Run(command, temp.Folder, "show", "from-install", "--json", "--db", db);
        Assert.True(show.ExitCode == 0, show.ToString());
        using (var job = JsonDocument.Parse(show.StdOut))
        {
            Assert.Equal("completed", job.RootElement.GetProperty("state").GetString());
            Assert.Equal("hi", job.RootElement.GetProperty("environment").GetProperty("GREETING").GetString());
            Assert.Equal("native hi\n", job.RootElement.GetProperty("output").GetString());
        }

        // A second install replaces the first as a whole; --framework-dependent builds ReadyToRun for the newest runtime.
        var stray = Path.Combine(lib, "left-from-before.txt");
        File.WriteAllText(stray, "old");
        var second = RunInstall(temp.Folder, "--prefix", prefix, "--framework-dependent");
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal($"installed queuectl (ReadyToRun, {NewestFramework()}) in {lib}", InstalledLine(second));
        Assert.False(File.Exists(stray), "the old install folder was merged into, not replaced");
        Assert.False(Directory.Exists(lib + ".old") || Directory.Exists(lib + ".new"), "a temporary install folder was left behind");
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(lib, "queuectl.runtimeconfig.json"))))
            Assert.Equal(NewestFramework(), config.RootElement.GetProperty("runtimeOptions").GetProperty("tfm").GetString());
        foreach (var assembly in new[] { "queuectl.dll", "QueueCtl.Core.dll" })
            Assert.True(IsReadyToRun(Path.Combine(lib, assembly)), $"{assembly} has no ReadyToRun code");
        var list = Run(command, temp.Folder, "list", "--json", "--db", db);
        Assert.True(list.ExitCode == 0, list.ToString());
        using (var jobs = JsonDocument.Parse(list.StdOut))
            Assert.Equal("from-install", jobs.RootElement.EnumerateArray().Single().GetProperty("id").GetString());

        // It built away from the source tree: the developer's restore state is untouched.
        Assert.Equal(assetsBefore, Hash(assets));
    }

    [Fact]
    public void Without_a_C_toolchain_it_says_so_and_installs_a_ReadyToRun_queuectl_instead()
    {
        using var temp = new TempQueue();
        var path = PathWithoutCompilers(temp.File("tools"));
        var result = RunInstall(temp.Folder, new Dictionary<string, string> { ["PATH"] = path }, "--prefix", "home");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("install.sh: could not compile queuectl to native code", result.StdErr);
        var lib = Path.Combine(temp.Folder, "home", "lib", "queuectl");
        Assert.Equal($"installed queuectl (ReadyToRun, {NewestFramework()}) in {lib}", InstalledLine(result));
        Assert.True(IsReadyToRun(Path.Combine(lib, "queuectl.dll")), "queuectl.dll has no ReadyToRun code");
        var version = Run(Path.Combine(temp.Folder, "home", "bin", "queuectl"), temp.Folder, "--version");
        Assert.True(version.ExitCode == 0, version.ToString());
    }

    /// <summary>A PATH folder of links to every program on this PATH but the C compilers Native AOT links with.</summary>
    private static string PathWithoutCompilers(string folder)
    {
        Directory.CreateDirectory(folder);
        var compiler = new System.Text.RegularExpressions.Regex(@"^(.*-)?(gcc|cc|clang|g\+\+|c\+\+)(-[0-9.]+)?$");
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Where(Directory.Exists))
            foreach (var program in Directory.GetFiles(dir))
            {
                var name = Path.GetFileName(program);
                var link = Path.Combine(folder, name);
                if (!compiler.IsMatch(name) && !File.Exists(link)) File.CreateSymbolicLink(link, program);
            }
        Assert.False(File.Exists(Path.Combine(folder, "gcc")) || File.Exists(Path.Combine(folder, "cc")));
        return folder;
    }

    private static string InstalledLine(CliResult result) =>
        result.StdOut.Split('\n').Single(l => l.StartsWith("installed queuectl (", StringComparison.Ordinal));

    [Theory]
    [InlineData(new[] { "--framework", "net7.0" }, "queuectl needs .NET 8 or later; 'net7.0' is older")]
    [InlineData(new[] { "--framework", "latest" }, "--framework 'latest' is not a .NET version")]
    [InlineData(new[] { "--prefix" }, "--prefix needs a folder")]
    [InlineData(new[] { "--colour" }, "unknown argument '--colour'")]
    public void Refuses_bad_arguments_with_exit_code_2_before_building_anything(string[] args, string message)
    {
        using var temp = new TempQueue();
        var result = RunInstall(temp.Folder, args);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"install.sh: {message}", result.StdErr);
        Assert.Empty(Directory.GetFileSystemEntries(temp.Folder));
    }

    /// <summary>The framework install.sh should pick: the newest runtime this SDK can target.</summary>
    private static string NewestFramework()
    {
        var runtimes = Run("dotnet", RepoPaths.Root, "--list-runtimes").StdOut.Split('\n')
            .Where(l => l.StartsWith("Microsoft.NETCore.App ", StringComparison.Ordinal))
            .Select(l => int.Parse(l.Split(' ')[1].Split('.')[0], System.Globalization.CultureInfo.InvariantCulture));
        var sdk = int.Parse(Run("dotnet", RepoPaths.Root, "--version").StdOut.Split('.')[0], System.Globalization.CultureInfo.InvariantCulture);
        return $"net{Math.Min(runtimes.Max(), sdk)}.0";
    }

    private static bool IsReadyToRun(string assembly)
    {
        using var pe = new PEReader(File.OpenRead(assembly));
        return pe.PEHeaders.CorHeader is { ManagedNativeHeaderDirectory.Size: > 0 };
    }

    private static string Hash(string file) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)));

    private static CliResult RunInstall(string workingDirectory, params string[] args) => RunInstall(workingDirectory, null, args);

    private static CliResult RunInstall(string workingDirectory, Dictionary<string, string>? environment, params string[] args) =>
        Run("bash", workingDirectory, environment, [Path.Combine(RepoPaths.Root, "install.sh"), .. args]);

    private static CliResult Run(string file, string workingDirectory, params string[] args) => Run(file, workingDirectory, null, args);

    private static CliResult Run(string file, string workingDirectory, Dictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment.Remove("QUEUECTL_DB");
        foreach (var (name, value) in environment ?? []) info.Environment[name] = value;
        using var process = Process.Start(info)!;
        return CliRunner.Collect(process, null, TimeSpan.FromMinutes(5), $"{file} {string.Join(' ', args)}");
    }
}
