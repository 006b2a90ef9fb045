namespace QueueCtl.Core.Jobs;

/// <summary>How a job's command line is turned into a process.</summary>
public enum JobShell
{
    /// <summary><c>/bin/sh -c COMMAND</c>, the default on Linux and macOS (on Linux a plain command starts its program without sh: see PlainCommand).</summary>
    Sh,
    /// <summary><c>cmd.exe /d /s /c COMMAND</c>; the default on Windows.</summary>
    Cmd,
    /// <summary><c>pwsh -NoProfile -NonInteractive -Command COMMAND</c>.</summary>
    Pwsh,
    /// <summary>No shell: the command line is split into argv (quotes respected) and run directly.</summary>
    None,
}
