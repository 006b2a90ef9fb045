using System.Diagnostics;
using System.Text;

namespace QueueCtl.Tests.Support;

/// <summary>The outcome of one `queuectl` process.</summary>
public sealed record CliResult(int ExitCode, string StdOut, string StdErr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{StdOut}\n--- stderr\n{StdErr}";
}

/// <summary>Runs the built queuectl executable as a real child process.</summary>
public static class CliRunner
{
    public static CliResult Run(string? stdin, params string[] args) => Run(stdin, null, TimeSpan.FromSeconds(60), args);

    public static CliResult Run(string? stdin, IDictionary<string, string?>? environment, TimeSpan timeout, params string[] args)
    {
        using var process = Start(args, environment, redirectInput: true);
        return Collect(process, stdin, timeout, $"queuectl {string.Join(' ', args)}");
    }

    /// <summary>
    /// Runs a started process (stdout and stderr redirected) to its end: writes <paramref name="stdin"/>
    /// if its input is redirected, collects both outputs, and kills its tree if it outlives the timeout.
    /// </summary>
    public static CliResult Collect(Process process, string? stdin, TimeSpan timeout, string what)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (process.StartInfo.RedirectStandardInput)
        {
            if (stdin is not null) process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        }
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{what} did not finish within {timeout}");
        }
        process.WaitForExit();
        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts queuectl without waiting (workers); the caller owns the process.</summary>
    public static Process Start(IEnumerable<string> args, IDictionary<string, string?>? environment = null, bool redirectInput = false)
    {
        var startInfo = new ProcessStartInfo(RepoPaths.QueueCtlCommand[0])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var arg in RepoPaths.QueueCtlCommand.Skip(1)) startInfo.ArgumentList.Add(arg);
        foreach (var arg in args) startInfo.ArgumentList.Add(arg);
        startInfo.Environment.Remove("QUEUECTL_DB");
        if (environment is not null)
            foreach (var (name, value) in environment)
                if (value is null) startInfo.Environment.Remove(name); else startInfo.Environment[name] = value;
        return Process.Start(startInfo) ?? throw new InvalidOperationException("could not start queuectl");
    }
}
