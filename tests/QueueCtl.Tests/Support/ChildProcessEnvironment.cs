using System.Runtime.CompilerServices;

namespace QueueCtl.Tests.Support;

/// <summary>Settings every process the tests start inherits.</summary>
internal static class ChildProcessEnvironment
{
    /// <summary>
    /// Each .NET process opens a debugger pipe pair and a diagnostics socket in /tmp and removes
    /// them when it exits; one killed with SIGKILL (as the fault campaign does to workers and
    /// drivers, dozens of times a run) leaves all three behind. The tests attach no debugger or
    /// tracer to their children, so the children open none.
    /// </summary>
    [ModuleInitializer]
    internal static void Apply() => Environment.SetEnvironmentVariable("DOTNET_EnableDiagnostics", "0");
}
