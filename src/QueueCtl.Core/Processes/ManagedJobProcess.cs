using System.ComponentModel;
using System.Diagnostics;

namespace QueueCtl.Core.Processes;

/// <summary>
/// A job command started with System.Diagnostics.Process: the way on Windows and macOS, and on a
/// Linux whose C library lacks what <see cref="SpawnedJobProcess"/> needs. On Linux it goes
/// through setsid(1), because Process.Start's child never leads a process group.
/// </summary>
internal sealed class ManagedJobProcess : JobProcess
{
    // setsid(1) from util-linux runs the command in a new session without forking, so the pid stays the command's.
    internal static readonly string? Setsid = OperatingSystem.IsLinux()
        ? new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists) : null;

    private readonly Process _process;

    private ManagedJobProcess(Process process, OutputTail tail)
    {
        _process = process;
        OutputEnded = Task.WhenAll(tail.PumpAsync(process.StandardOutput.BaseStream), tail.PumpAsync(process.StandardError.BaseStream));
        Exited = WaitAsync(process);
    }

    public override int Id => _process.Id;
    public override bool LeadsGroup => Setsid is not null;
    public override Task<int?> Exited { get; }
    public override Task OutputEnded { get; }

    public static JobProcess Start(JobLaunch launch, OutputTail tail)
    {
        var process = new Process { StartInfo = BuildStartInfo(launch) };
        try
        {
            if (!process.Start()) throw new JobStartException("cannot start: the process did not start");
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException or PlatformNotSupportedException)
        {
            process.Dispose();
            throw new JobStartException($"cannot start '{launch.Argv[0]}': {e.Message}");
        }
        try { process.StandardInput.Close(); } catch (IOException) { /* it exited already */ }
        return new ManagedJobProcess(process, tail);
    }

    private async Task<int?> WaitAsync(Process process)
    {
        await process.WaitForExitAsync().ConfigureAwait(false);
        if (LeadsGroup) ProcessTools.SignalGroup(process.Id, ProcessTools.SigKill); // what it left behind
        return process.ExitCode;
    }

    public override void KillTree()
    {
        // The group also holds what left the tree (a child orphaned by its parent); Process.Kill cannot see it.
        if (LeadsGroup) ProcessTools.SignalGroup(Id, ProcessTools.SigKill);
        try { _process.Kill(entireProcessTree: true); }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception) { /* already gone */ }
    }

    public override void Dispose() => _process.Dispose();

    private static ProcessStartInfo BuildStartInfo(JobLaunch launch)
    {
        var startInfo = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
        };
        if (launch.RawArguments is not null)
        {
            startInfo.FileName = launch.Argv[0];
            startInfo.Arguments = launch.RawArguments;
        }
        else if (Setsid is not null)
        {
            startInfo.FileName = Setsid;
            foreach (var arg in launch.Argv) startInfo.ArgumentList.Add(arg);
        }
        else
        {
            startInfo.FileName = launch.Argv[0];
            foreach (var arg in launch.Argv.Skip(1)) startInfo.ArgumentList.Add(arg);
        }
        if (launch.WorkingDirectory is not null) startInfo.WorkingDirectory = launch.WorkingDirectory;
        foreach (var (name, value) in launch.Environment) startInfo.Environment[name] = value;
        return startInfo;
    }
}
