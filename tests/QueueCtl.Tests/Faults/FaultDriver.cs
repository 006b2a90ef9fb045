using System.Diagnostics;
using QueueCtl.Tests.Support;

namespace QueueCtl.Tests.Faults;

/// <summary>Starts tests/QueueCtl.FaultDriver (built beside the tests) as a real child process.</summary>
public static class FaultDriver
{
    public static string Dll { get; } = Path.Combine(RepoPaths.Root, "tests", "QueueCtl.FaultDriver", "bin", RepoPaths.Configuration, "net10.0", "QueueCtl.FaultDriver.dll");

    public static Process Start(IEnumerable<string> args)
    {
        var startInfo = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        startInfo.ArgumentList.Add(Dll);
        foreach (var arg in args) startInfo.ArgumentList.Add(arg);
        return Process.Start(startInfo) ?? throw new InvalidOperationException("could not start the fault driver");
    }
}
