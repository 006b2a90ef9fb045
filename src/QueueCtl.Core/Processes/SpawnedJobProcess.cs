using System.Collections;
using System.Runtime.InteropServices;

namespace QueueCtl.Core.Processes;

/// <summary>
/// A job command started with posix_spawn (Linux): one exec, in a session and process group of
/// its own, stdout and stderr interleaved on one pipe. About twice the start rate of
/// Process.Start through setsid(1), which execs twice. A watcher thread reads its output and
/// reaps it (<see cref="ChildWatchers"/>); .NET's own SIGCHLD handling only reaps the children
/// Process started, so nothing else takes the status first.
/// </summary>
internal sealed class SpawnedJobProcess : JobProcess
{
    private readonly ChildWatch _watch;

    static SpawnedJobProcess()
    {
        if (Supported) PosixSpawn.UnignoreChildSignal();
    }

    private SpawnedJobProcess(int pid, int outputFd, OutputTail tail, bool usePidFd)
    {
        Id = pid;
        _watch = ChildWatchers.Watch(pid, outputFd, tail, usePidFd);
    }

    public static bool Supported => PosixSpawn.Supported;

    public override int Id { get; }
    public override bool LeadsGroup => true;
    public override Task<int?> Exited => _watch.Exited;
    public override Task OutputEnded => _watch.OutputEnded;

    public static JobProcess Start(JobLaunch launch, OutputTail tail) => Start(launch, tail, usePidFd: true);

    /// <summary>Starts a command and watches it as on a kernel without pidfds (before Linux 5.3): for tests of that path.</summary>
    internal static JobProcess StartWithoutPidFd(JobLaunch launch, OutputTail tail) => Start(launch, tail, usePidFd: false);

    private static JobProcess Start(JobLaunch launch, OutputTail tail, bool usePidFd)
    {
        var environment = MergedEnvironment(launch.Environment);
        var block = Flatten(environment);
        // A plain shell command starts its program directly. Whatever goes wrong then (not found,
        // not executable, no #! line) is left to sh, which reports it the way users know it.
        if (launch.ShellCommand is { } line && PlainCommand.Words(line, environment) is { } words
            && (environment.ContainsKey("PATH") || words[0].Contains('/')) // without a PATH, sh's own default applies
            && Lookup(words[0], environment, launch.WorkingDirectory, out _) is { } direct
            && PosixSpawn.Spawn(direct, words, block, launch.WorkingDirectory, out var directPid, out var directFd) == 0)
            return new SpawnedJobProcess(directPid, directFd, tail, usePidFd);

        var program = FindProgram(launch.Argv[0], environment, launch.WorkingDirectory);
        var error = PosixSpawn.Spawn(program, launch.Argv, block, launch.WorkingDirectory, out var pid, out var outputFd);
        if (error == PosixSpawn.ENOEXEC)
        {
            // A script without a #! line: run it with sh, as execvp and every shell do.
            error = PosixSpawn.Spawn("/bin/sh", ["sh", program, .. launch.Argv.Skip(1)], block, launch.WorkingDirectory, out pid, out outputFd);
        }
        if (error != 0)
        {
            var reason = error == PosixSpawn.EACCES ? "permission denied (is it executable?)" : Marshal.GetPInvokeErrorMessage(error);
            throw new JobStartException($"cannot start '{launch.Argv[0]}': {reason}");
        }
        return new SpawnedJobProcess(pid, outputFd, tail, usePidFd);
    }

    public override void KillTree()
    {
        ProcessTools.SignalGroup(Id, ProcessTools.SigKill);
        if (!Exited.IsCompleted) ProcessTools.Signal(Id, ProcessTools.SigKill); // it may have left its group
    }

    public override void Dispose() { } // the watcher closes the pipe when it is done with it

    // The worker's environment with the job's variables over it.
    private static Dictionary<string, string> MergedEnvironment(IReadOnlyDictionary<string, string> changes)
    {
        var merged = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
            merged[(string)entry.Key] = (string?)entry.Value ?? "";
        foreach (var (name, value) in changes) merged[name] = value;
        return merged;
    }

    private static string[] Flatten(Dictionary<string, string> environment) =>
        environment.Select(pair => $"{pair.Key}={pair.Value}").ToArray();

    /// <summary>The environment block (NAME=value strings) a command with these variables of its own starts with.</summary>
    internal static string[] EnvironmentBlock(IReadOnlyDictionary<string, string> changes) => Flatten(MergedEnvironment(changes));

    /// <summary>
    /// A bare name is looked up in the PATH the job will have (the job's own if it sets one), like
    /// a shell would; a name with a slash is used as it is.
    /// </summary>
    private static string FindProgram(string name, Dictionary<string, string> environment, string? folder)
    {
        if (name.Length == 0) throw new JobStartException("cannot start: the command is empty");
        return Lookup(name, environment, folder, out var notExecutable) ?? throw new JobStartException(notExecutable is not null
            ? $"cannot start '{name}': {notExecutable} is not executable"
            : $"cannot start '{name}': command not found in PATH");
    }

    /// <summary>The program a name starts, or null (and the first match that is not executable, if any).</summary>
    private static string? Lookup(string name, Dictionary<string, string> environment, string? folder, out string? notExecutable)
    {
        notExecutable = null;
        if (name.Contains('/')) return name;
        var path = environment.GetValueOrDefault("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        string? start = null; // relative PATH entries are relative to where the job runs
        // This runs before every job that starts a program by name, on the way from one job to the
        // next: a plain absolute entry is used as it is, and a miss costs one system call.
        foreach (var entry in path.Split(':'))
        {
            var entryFolder = entry.StartsWith('/') && !entry.Contains("/.", StringComparison.Ordinal) ? entry
                : Path.GetFullPath(entry.Length == 0 ? "." : entry, start ??= Path.GetFullPath(folder ?? "."));
            var candidate = Path.Join(entryFolder, name);
            switch (PosixSpawn.CheckProgram(candidate))
            {
                case PosixSpawn.ProgramCheck.Executable: return candidate;
                case PosixSpawn.ProgramCheck.Other when File.Exists(candidate): notExecutable ??= candidate; break;
            }
        }
        return null;
    }
}
