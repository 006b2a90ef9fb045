namespace QueueCtl.Core.Processes;

/// <summary>
/// What to start for one attempt: the program and its arguments, the folder, and the variables
/// added to (or replacing) the worker's own environment.
/// </summary>
/// <param name="RawArguments">Windows cmd.exe only: its command line as one string, which cmd parses itself.</param>
/// <param name="ShellCommand">A sh job's command line: a starter may run it without sh when <see cref="PlainCommand"/> allows.</param>
internal sealed record JobLaunch(
    IReadOnlyList<string> Argv,
    string? WorkingDirectory,
    IReadOnlyDictionary<string, string> Environment,
    string? RawArguments = null,
    string? ShellCommand = null);

/// <summary>A command could not be started; the message says why, for the job's error.</summary>
internal sealed class JobStartException(string message) : Exception(message);
