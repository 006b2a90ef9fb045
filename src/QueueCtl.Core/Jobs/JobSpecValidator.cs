using QueueCtl.Core.Errors;

namespace QueueCtl.Core.Jobs;

/// <summary>Checks a <see cref="JobSpec"/> and fills in its defaults, or says exactly what is wrong.</summary>
internal static class JobSpecValidator
{
    // A struct: a batch keeps every job until its commit, in arrays (BatchValidation), and an
    // object per job was half of what each collection during a large batch had to copy.
    internal readonly record struct ValidJob(
        string Id, string Command, JobShell Shell, string Queue, int Priority, int? MaxRetries,
        int? TimeoutSec, DateTimeOffset RunAt, string? WorkingDirectory, string? EnvironmentJson)
    {
        /// <summary>The start was given as an instant (not a delay): clock jumps do not move it.</summary>
        public bool RunAtFixed { get; init; }

        /// <summary>The id was made here (JobId.New), not given: unique by construction.</summary>
        public bool IdGenerated { get; init; }
    }

    public static JobShell DefaultShell => OperatingSystem.IsWindows() ? JobShell.Cmd : JobShell.Sh;

    public static ValidJob Validate(JobSpec spec, DateTimeOffset now) => Validate(spec, now, newId: true);

    /// <summary>Checks a spec as <see cref="Validate(JobSpec, DateTimeOffset)"/> does, without making it an id.</summary>
    public static void Check(JobSpec spec, DateTimeOffset now) => Validate(spec, now, newId: false);

    private static ValidJob Validate(JobSpec spec, DateTimeOffset now, bool newId)
    {
        var id = spec.Id is not null ? JobId.Validate(spec.Id) : newId ? JobId.New(now) : "";

        var command = spec.Command;
        if (string.IsNullOrWhiteSpace(command))
            throw QueueException.Invalid("EmptyCommand", $"{Label(spec.Id)} has an empty command. Give the command line to run, for example: echo hello", spec.Id);
        if (command.Length > JobLimits.MaxCommandLength)
            throw QueueException.Invalid("CommandTooLong", $"{Label(spec.Id)} has a command of {command.Length:N0} characters; the limit is {JobLimits.MaxCommandLength:N0}. Put long scripts in a file and enqueue the command that runs it.", spec.Id);
        if (command.Contains('\0'))
            throw QueueException.Invalid("InvalidCommand", $"{Label(spec.Id)} has a NUL character in its command, which no process can receive.", spec.Id);

        var shell = spec.Shell ?? DefaultShell;
        if (shell == JobShell.None)
        {
            try { CommandLineSplitter.Split(command); }
            catch (FormatException e)
            {
                throw QueueException.Invalid("InvalidCommand", $"{Label(spec.Id)} cannot be split into arguments (shell 'none'): {e.Message}.", spec.Id);
            }
        }

        var queue = ValidateQueue(spec.Queue ?? JobLimits.DefaultQueue);

        if (spec.Priority is < JobLimits.MinPriority or > JobLimits.MaxPriority)
            throw QueueException.Invalid("InvalidPriority", $"{Label(spec.Id)} has priority {spec.Priority}; it must be between {JobLimits.MinPriority} and {JobLimits.MaxPriority} (higher runs first).", spec.Id);
        if (spec.MaxRetries is < 0 or > JobLimits.MaxRetries)
            throw QueueException.Invalid("InvalidMaxRetries", $"{Label(spec.Id)} has max_retries {spec.MaxRetries}; it must be between 0 and {JobLimits.MaxRetries}.", spec.Id);
        if (spec.TimeoutSec is < 0 or > JobLimits.MaxTimeoutSec)
            throw QueueException.Invalid("InvalidTimeout", $"{Label(spec.Id)} has timeout {spec.TimeoutSec} s; it must be between 0 (none) and {JobLimits.MaxTimeoutSec} s (7 days).", spec.Id);

        var runAt = ResolveRunAt(spec, now);
        var workingDirectory = ValidateWorkingDirectory(spec.WorkingDirectory, spec.Id);
        var environment = ValidateEnvironment(spec.Environment, spec.Id);

        return new ValidJob(id, command, shell, queue, spec.Priority, spec.MaxRetries,
            spec.TimeoutSec, runAt, workingDirectory, environment) { RunAtFixed = spec.RunAt is not null, IdGenerated = spec.Id is null };
    }

    /// <summary>How messages name a job: built only for a message.</summary>
    private static string Label(string? id) => id is null ? "The job" : $"Job {JobId.Quote(id)}";

    public static string ValidateQueue(string queue)
    {
        var problem = queue.Length switch
        {
            0 => "it is empty",
            > JobLimits.MaxQueueLength => $"it is {queue.Length} characters long",
            // Checked for every job of a batch: vectorised, and without the enumerator LINQ's All allocated.
            _ => queue.AsSpan().ContainsAnyExcept(JobId.NameCharacters) ? "it contains characters other than A-Z a-z 0-9 . _ : -" : null,
        };
        if (problem is not null)
            throw QueueException.Invalid("InvalidQueueName", $"Queue name {JobId.Quote(queue)} is not valid: {problem}. Queue names are 1-{JobLimits.MaxQueueLength} characters of A-Z a-z 0-9 . _ : -", queue);
        return queue;
    }

    private static DateTimeOffset ResolveRunAt(JobSpec spec, DateTimeOffset now)
    {
        if (spec.RunAt is not null && spec.Delay is not null)
            throw QueueException.Invalid("RunAtAndDelay", $"{Label(spec.Id)} gives both a run-at time and a delay; give one of them.", spec.Id);
        if (spec.Delay is { } delay)
        {
            if (delay < TimeSpan.Zero || delay > JobLimits.MaxScheduleAhead)
                throw QueueException.Invalid("InvalidDelay", $"{Label(spec.Id)} has a delay of {delay}; it must be between 0 and {JobLimits.MaxScheduleAhead.TotalDays:N0} days.", spec.Id);
            return now + delay;
        }
        if (spec.RunAt is { } runAt)
        {
            if (runAt < JobLimits.EarliestRunAt || runAt > now + JobLimits.MaxScheduleAhead)
                throw QueueException.Invalid("InvalidRunAt", $"{Label(spec.Id)} has run-at {runAt:u}; it must be after 2000-01-01 and at most {JobLimits.MaxScheduleAhead.TotalDays:N0} days ahead.", spec.Id);
            return runAt.ToUniversalTime();
        }
        return now;
    }

    private static string? ValidateWorkingDirectory(string? path, string? id)
    {
        if (path is null) return null;
        if (path.Length == 0 || path.Length > JobLimits.MaxPathLength || path.Contains('\0') || !Path.IsPathFullyQualified(path))
            throw QueueException.Invalid("InvalidWorkingDirectory", $"{Label(id)} has working directory {JobId.Quote(path)}; it must be an absolute path of at most {JobLimits.MaxPathLength} characters.", id);
        return path;
    }

    private static string? ValidateEnvironment(IDictionary<string, string>? environment, string? id)
    {
        if (environment is null || environment.Count == 0) return null;
        if (environment.Count > JobLimits.MaxEnvironmentVariables)
            throw QueueException.Invalid("InvalidEnvironment", $"{Label(id)} sets {environment.Count} environment variables; the limit is {JobLimits.MaxEnvironmentVariables}.", id);
        foreach (var (name, value) in environment)
        {
            if (string.IsNullOrEmpty(name) || name.Contains('=') || name.Contains('\0') || name.Length > 256)
                throw QueueException.Invalid("InvalidEnvironment", $"{Label(id)} sets an environment variable named {JobId.Quote(name)}; names must be 1-256 characters without '=' or NUL.", id);
            if (value is null || value.Contains('\0') || value.Length > JobLimits.MaxEnvironmentValueLength)
                throw QueueException.Invalid("InvalidEnvironment", $"{Label(id)} sets environment variable {name} to a value that is missing, holds a NUL or is longer than {JobLimits.MaxEnvironmentValueLength} characters.", id);
        }
        return EnvironmentJson.Write(environment.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));
    }
}
