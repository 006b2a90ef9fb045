using System.Reflection;

namespace QueueCtl.Tests.Support;

/// <summary>Where the repository and the built executables are, from wherever the tests run.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The build configuration these tests were built in (Debug or Release).</summary>
    public static string Configuration { get; } =
        typeof(RepoPaths).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    /// <summary>queuectl.dll as built beside these tests (run it with `dotnet`).</summary>
    public static string QueueCtlDll { get; } = Path.Combine(Root, "src", "QueueCtl.Cli", "bin", Configuration, "net8.0", "queuectl.dll");

    /// <summary>
    /// The queuectl the tests run, as a command line: the built queuectl.dll through dotnet, or the
    /// executable named by QUEUECTL_TEST_EXECUTABLE (test.sh points it at the queuectl install.sh
    /// made, so the CLI suites also test what users run).
    /// </summary>
    public static IReadOnlyList<string> QueueCtlCommand { get; } =
        Environment.GetEnvironmentVariable("QUEUECTL_TEST_EXECUTABLE") is { Length: > 0 } installed ? [installed] : ["dotnet", QueueCtlDll];

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "QueueCtl.sln"))) return dir.FullName;
        throw new InvalidOperationException($"QueueCtl.sln not found above {AppContext.BaseDirectory}");
    }
}
