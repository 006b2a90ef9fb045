using System.Text;
using QueueCtl.Core.Jobs;
using QueueCtl.Core.Processes;
using QueueCtl.Core.Workers;
using QueueCtl.Tests.Support;
using ExecutionContext = QueueCtl.Core.Workers.ExecutionContext;

namespace QueueCtl.Tests.Core;

/// <summary>
/// Running one attempt for real: the shell, argv splitting, environment, folder, output tail,
/// start failures, timeouts. Every test runs once per way of starting a command (the classes below).
/// </summary>
public abstract class ExecutionTests
{
    private protected abstract ShellExecutor Executor { get; }

    private protected static ClaimedJob Job(string command, JobShell shell = JobShell.Sh, string? folder = null,
        IReadOnlyDictionary<string, string>? environment = null, int timeoutSec = 0, string id = "job-1", int attempt = 1) =>
        new(id, 1, attempt, command, shell, "default", 0, 0, timeoutSec, folder,
            environment ?? new Dictionary<string, string>(), DateTimeOffset.UtcNow);

    private protected Task<AttemptResult> Run(ClaimedJob job, int outputLimit = 65_536) =>
        Executor.ExecuteAsync(job, new ExecutionContext { OutputLimit = outputLimit }, CancellationToken.None);

    private static string WriteScript(string path, string text, bool executable = true)
    {
        File.WriteAllText(path, text);
        var mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | (executable ? UnixFileMode.UserExecute : 0);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, mode);
        return path;
    }

    [Fact]
    public async Task Exit_codes_and_output_are_reported()
    {
        var ok = await Run(Job("echo out; echo err >&2"));
        Assert.Equal(AttemptOutcome.Succeeded, ok.Outcome);
        Assert.Equal(0, ok.ExitCode);
        Assert.Contains("out\n", ok.Output);
        Assert.Contains("err\n", ok.Output);

        var failed = await Run(Job("echo boom; exit 3"));
        Assert.Equal(AttemptOutcome.Failed, failed.Outcome);
        Assert.Equal(3, failed.ExitCode);
        Assert.Equal("exit code 3", failed.Error);
        Assert.Equal("boom\n", failed.Output);
    }

    [Fact]
    public async Task Environment_working_directory_and_job_identity_reach_the_command()
    {
        using var temp = new TempQueue();
        var env = new Dictionary<string, string> { ["GREETING"] = "hello world", ["QUOTED"] = "it's \"q\" $HOME" };
        var result = await Run(Job("pwd; printf '%s\\n' \"$GREETING\" \"$QUOTED\" \"$QUEUECTL_JOB_ID\" \"$QUEUECTL_ATTEMPT\" \"$QUEUECTL_QUEUE\"",
            folder: temp.Folder, environment: env, id: "env-job", attempt: 4));
        Assert.Equal(AttemptOutcome.Succeeded, result.Outcome);
        Assert.Equal($"{temp.Folder}\nhello world\nit's \"q\" $HOME\nenv-job\n4\ndefault\n", result.Output);
    }

    [Fact]
    public async Task Shell_none_splits_argv_without_a_shell()
    {
        var result = await Run(Job("printf '[%s]' 'a b' \"c\\\"d\" e\\ f $HOME '*' ;", JobShell.None));
        Assert.Equal(AttemptOutcome.Succeeded, result.Outcome);
        Assert.Equal("[a b][c\"d][e f][$HOME][*][;]", result.Output);
    }

    [Fact]
    public async Task A_command_that_is_not_found_fails_with_the_reason()
    {
        var viaShell = await Run(Job("/nonexistent/tool --flag"));
        Assert.Equal(AttemptOutcome.Failed, viaShell.Outcome);
        Assert.Equal(127, viaShell.ExitCode);
        Assert.Contains("not found", viaShell.Error);

        var direct = await Run(Job("/nonexistent/tool --flag", JobShell.None));
        Assert.Equal(AttemptOutcome.Failed, direct.Outcome);
        Assert.NotNull(direct.Error);
        Assert.True(direct.Error!.Contains("not found") || direct.Error.Contains("cannot start"), direct.Error);
        Assert.Contains("/nonexistent/tool", direct.Error + direct.Output);
    }

    [Fact]
    public async Task A_file_that_is_not_executable_fails_with_the_reason()
    {
        using var temp = new TempQueue();
        var script = WriteScript(temp.File("script.sh"), "#!/bin/sh\necho should not run\n", executable: false);
        var result = await Run(Job(script, JobShell.None));
        Assert.Equal(AttemptOutcome.Failed, result.Outcome);
        Assert.True(result.Error!.Contains("not executable") || result.Error.Contains("cannot start"), result.Error);
        Assert.DoesNotContain("should not run", result.Output ?? "");
    }

    [Fact]
    public async Task A_missing_working_directory_fails_with_the_reason()
    {
        var result = await Run(Job("true", folder: "/nonexistent/folder"));
        Assert.Equal(AttemptOutcome.Failed, result.Outcome);
        Assert.Null(result.ExitCode);
        Assert.Contains("cannot start", result.Error);
        Assert.Contains("/nonexistent/folder", result.Error);
    }

    [Fact]
    public async Task A_timeout_ends_a_command_that_ignores_sigterm()
    {
        using var temp = new TempQueue();
        var pids = temp.File("pids");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var result = await Run(Job($"trap '' TERM; echo $$ >> {pids}; sleep 30 & echo $! >> {pids}; echo partial; wait", timeoutSec: 1));
        Assert.Equal(AttemptOutcome.TimedOut, result.Outcome);
        Assert.StartsWith("timeout: still running after 1 s", result.Error);
        Assert.Equal("partial\n", result.Output);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
        // SIGKILL has been sent to the whole group by now; a process that is still inside the
        // kernel's exit (its pipe closed, not yet a zombie) gets a moment to finish, no more.
        foreach (var pid in File.ReadAllLines(pids).Select(int.Parse))
            await Eventually.True(() => !Eventually.ProcessRuns(pid), TimeSpan.FromSeconds(10), $"pid {pid} ends after the timeout");
    }

    [Fact]
    public async Task A_timeout_also_ends_what_left_the_process_tree()
    {
        using var temp = new TempQueue();
        var pidFile = temp.File("orphan");
        // The subshell exits at once: its sleep, deaf to SIGTERM, is orphaned (no longer a
        // descendant) but stays in the group.
        var result = await Run(Job($"(trap '' TERM; sleep 60 & echo $! > {pidFile}); sleep 60", timeoutSec: 1));
        Assert.Equal(AttemptOutcome.TimedOut, result.Outcome);
        var orphan = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        await Eventually.True(() => !Eventually.ProcessRuns(orphan), TimeSpan.FromSeconds(10), $"orphaned pid {orphan} ends");
    }

    [Fact]
    public async Task Background_leftovers_of_a_finished_command_are_ended()
    {
        using var temp = new TempQueue();
        var pidFile = temp.File("pid");
        var result = await Run(Job($"sleep 60 & echo $! > {pidFile}; echo done"));
        Assert.Equal(AttemptOutcome.Succeeded, result.Outcome);
        Assert.Equal("done\n", result.Output);
        var pid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        await Eventually.True(() => !Eventually.ProcessRuns(pid), TimeSpan.FromSeconds(10), $"leftover pid {pid} ends");
    }

    [Fact]
    public async Task Aborting_an_attempt_ends_its_process_tree()
    {
        using var temp = new TempQueue();
        var pidFile = temp.File("pid");
        using var abort = new CancellationTokenSource();
        var run = Executor.ExecuteAsync(Job($"echo $$ > {pidFile}; sleep 60"), new ExecutionContext(), abort.Token);
        await Eventually.True(() => File.Exists(pidFile) && File.ReadAllText(pidFile).EndsWith('\n'), TimeSpan.FromSeconds(30), "the command starts");
        abort.Cancel();
        var result = await run;
        Assert.Equal(AttemptOutcome.Failed, result.Outcome);
        Assert.Equal("ended before it finished", result.Error);
        Assert.False(Eventually.ProcessRuns(int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task The_output_tail_is_capped_at_the_limit_and_keeps_the_end()
    {
        var result = await Run(Job("head -c 300000 /dev/zero | tr '\\0' a; printf END"), outputLimit: 1000);
        Assert.Equal(AttemptOutcome.Succeeded, result.Outcome);
        Assert.Equal(1000, result.Output!.Length);
        Assert.EndsWith("aaaEND", result.Output);

        var none = await Run(Job("echo something"), outputLimit: 0);
        Assert.Equal("", none.Output);
        var silent = await Run(Job("true"));
        Assert.Null(silent.Output);
    }

    [Fact]
    public async Task A_multibyte_character_cut_by_the_output_limit_is_dropped_not_mangled()
    {
        var result = await Run(Job("i=0; while [ $i -lt 3000 ]; do printf '\u00e9\u20ac\\n'; i=$((i+1)); done"), outputLimit: 1001);
        Assert.Equal(AttemptOutcome.Succeeded, result.Outcome);
        Assert.NotNull(result.Output);
        Assert.DoesNotContain('\uFFFD', result.Output!);
        Assert.EndsWith("\u00e9\u20ac\n", result.Output);
        Assert.InRange(Encoding.UTF8.GetByteCount(result.Output!), 998, 1001);
    }

    [Fact]
    public async Task A_bare_name_is_found_in_the_path_the_job_sets()
    {
        using var temp = new TempQueue();
        var tools = Directory.CreateDirectory(temp.File("tools")).FullName;
        WriteScript(Path.Combine(tools, "greet-tool"), "#!/bin/sh\necho \"tool says $1\"\n");
        var environment = new Dictionary<string, string> { ["PATH"] = $"/nonexistent:{tools}:/usr/bin:/bin" };
        var result = await Run(Job("greet-tool hi", JobShell.None, environment: environment));
        Assert.Equal(AttemptOutcome.Succeeded, result.Outcome);
        Assert.Equal("tool says hi\n", result.Output);

        // A relative PATH entry is relative to the job's folder, as it would be in a shell started there.
        var relative = await Run(Job("greet-tool there", JobShell.None, folder: tools, environment: new Dictionary<string, string> { ["PATH"] = ".:/usr/bin:/bin" }));
        Assert.Equal(AttemptOutcome.Succeeded, relative.Outcome);
        Assert.Equal("tool says there\n", relative.Output);

        var missing = await Run(Job("no-such-tool-anywhere", JobShell.None));
        Assert.Equal(AttemptOutcome.Failed, missing.Outcome);
        Assert.Contains("no-such-tool-anywhere", missing.Error + missing.Output);
    }

    [Fact]
    public async Task The_path_search_passes_over_what_cannot_be_run_and_names_a_program_that_cannot()
    {
        using var temp = new TempQueue();
        var tools = Directory.CreateDirectory(temp.File("tools")).FullName;
        WriteScript(Path.Combine(tools, "greet-tool"), "#!/bin/sh\necho \"found $1\"\n");
        // Before it along the PATH: a folder of the same name, a file that cannot be run, a PATH entry
        // that is a file rather than a folder, and the tools folder spelt with "..".
        var shadows = Directory.CreateDirectory(temp.File("shadows")).FullName;
        Directory.CreateDirectory(Path.Combine(shadows, "greet-tool"));
        var locked = Directory.CreateDirectory(temp.File("locked")).FullName;
        WriteScript(Path.Combine(locked, "greet-tool"), "#!/bin/sh\necho locked\n", executable: false);
        var notAFolder = WriteScript(temp.File("not-a-folder"), "#!/bin/sh\n");
        var roundabout = Path.Combine(shadows, "..", "tools");
        var environment = new Dictionary<string, string> { ["PATH"] = $"{shadows}:{notAFolder}:{locked}:{roundabout}:/usr/bin:/bin" };

        var found = await Run(Job("greet-tool it", JobShell.None, environment: environment));
        Assert.Equal(AttemptOutcome.Succeeded, found.Outcome);
        Assert.Equal("found it\n", found.Output);

        // Without the tools folder, the file that cannot be run is what the job's failure is about.
        environment["PATH"] = $"{shadows}:{notAFolder}:{locked}:/usr/bin:/bin";
        var refused = await Run(Job("greet-tool it", JobShell.None, environment: environment));
        Assert.Equal(AttemptOutcome.Failed, refused.Outcome);
        Assert.Contains("not executable", refused.Error);
        Assert.DoesNotContain("locked", refused.Output ?? "");
    }

    [Fact]
    public async Task A_script_without_a_shebang_line_runs_with_sh()
    {
        using var temp = new TempQueue();
        var script = WriteScript(temp.File("plain-script"), "echo \"plain $1\"\n");
        var result = await Run(Job($"{script} ok", JobShell.None));
        Assert.Equal(AttemptOutcome.Succeeded, result.Outcome);
        Assert.Equal("plain ok\n", result.Output);
    }

    [Fact]
    public async Task A_command_killed_by_a_signal_says_which()
    {
        var result = await Run(Job("echo before; kill -s KILL $$"));
        Assert.Equal(AttemptOutcome.Failed, result.Outcome);
        Assert.Equal(137, result.ExitCode);
        Assert.Equal("killed by signal 9 (exit code 137)", result.Error);
        Assert.Equal("before\n", result.Output);
    }

    [Fact]
    public async Task A_plain_command_behaves_as_it_does_under_sh()
    {
        using var temp = new TempQueue();
        // Whichever way it starts (directly or through sh): same failures, same exit codes, same folder.
        var missing = await Run(Job("no-such-tool-anywhere --flag"));
        Assert.Equal(127, missing.ExitCode);
        Assert.Equal("exit code 127: command not found", missing.Error);
        Assert.Contains("no-such-tool-anywhere", missing.Output);

        var locked = await Run(Job(WriteScript(temp.File("locked.sh"), "#!/bin/sh\necho ran\n", executable: false)));
        Assert.Equal(126, locked.ExitCode);
        Assert.DoesNotContain("ran", locked.Output);

        var bare = await Run(Job(WriteScript(temp.File("bare-script"), "echo \"bare $1\"\n") + " ok"));
        Assert.Equal(AttemptOutcome.Succeeded, bare.Outcome);
        Assert.Equal("bare ok\n", bare.Output);

        var folder = await Run(Job("printenv PWD", folder: temp.Folder));
        Assert.Equal(temp.Folder + "\n", folder.Output);

        var exit = await Run(Job("sh -c 'exit 4'"));
        Assert.Equal(4, exit.ExitCode);
        var timedOut = await Run(Job("sleep 30", timeoutSec: 1));
        Assert.Equal(AttemptOutcome.TimedOut, timedOut.Outcome);
    }

    [Fact]
    public async Task Many_jobs_at_once_each_get_their_own_exit_code_and_output()
    {
        // Watchers are reused from job to job, and the code after one job's end runs on its
        // watcher: no output or exit status may cross over to another job.
        var runs = Enumerable.Range(0, 8).Select(loop => Task.Run(async () =>
        {
            for (var i = 0; i < 25; i++)
            {
                var id = $"job-{loop}-{i}";
                var plain = await Run(Job("printenv QUEUECTL_JOB_ID", id: id));
                Assert.Equal(AttemptOutcome.Succeeded, plain.Outcome);
                Assert.Equal(id + "\n", plain.Output);
                var shelled = await Run(Job($"echo {id}; exit {i % 7}", id: id));
                Assert.Equal(i % 7, shelled.ExitCode ?? -1);
                Assert.Equal(id + "\n", shelled.Output);
            }
        })).ToArray();
        await Task.WhenAll(runs);
    }

    [Fact]
    public async Task A_finished_command_whose_pipe_is_held_elsewhere_still_ends()
    {
        using var temp = new TempQueue();
        var pidFile = temp.File("escaped");
        // setsid takes the sleep out of the job's group, so nothing ends it; it keeps the pipe.
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var result = await Run(Job($"echo before; setsid sleep 30 & echo $! > {pidFile}; echo after"));
        Assert.Equal(AttemptOutcome.Succeeded, result.Outcome);
        Assert.Equal("before\nafter\n", result.Output);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"took {watch.Elapsed}");
        if (int.TryParse(File.ReadAllText(pidFile).Trim(), out var escaped)) ProcessTools.Signal(escaped, ProcessTools.SigKill);
    }

    [Fact]
    public async Task The_command_leads_a_process_group_of_its_own_and_reads_an_empty_stdin()
    {
        // /proc/self/stat: pid (comm) state ppid pgrp session ...
        var result = await Run(Job("read -r line && echo \"read $line\"; set -- $(cut -d' ' -f5,6 /proc/$$/stat); echo \"$$ $1 $2\""));
        Assert.Equal(AttemptOutcome.Succeeded, result.Outcome);
        var ids = result.Output!.Trim().Split(' ');
        Assert.DoesNotContain("read", result.Output);
        Assert.Equal(ids[0], ids[1]); // process group = its pid
        Assert.Equal(ids[0], ids[2]); // session = its pid
    }
}

/// <summary>The way jobs start on Linux: posix_spawn in a new session, one pipe for stdout and stderr.</summary>
public sealed class SpawnedExecutionTests : ExecutionTests
{
    private protected override ShellExecutor Executor { get; } = new(SpawnedJobProcess.Start);

    [Fact]
    public void Spawning_is_what_jobs_use_on_this_machine() =>
        Assert.Equal(typeof(SpawnedJobProcess).GetMethod(nameof(SpawnedJobProcess.Start)), JobProcess.DefaultStarter.Method);

    [Fact]
    public async Task A_plain_command_starts_without_a_shell_and_anything_else_with_one()
    {
        // /proc/self/stat: pid (comm) state ppid pgrp session. Started directly, cat leads its own
        // session; under sh it would be sh's child, in sh's session.
        var plain = (await Run(Job("cat /proc/self/stat"))).Output!.Split(' ');
        Assert.Equal("(cat)", plain[1]);
        Assert.Equal(plain[0], plain[5]);

        var shelled = (await Run(Job("cat /proc/self/stat; true"))).Output!.Split(' ');
        Assert.Equal("(cat)", shelled[1]);
        Assert.NotEqual(shelled[0], shelled[5]);
    }

    [Fact]
    public async Task Stdout_and_stderr_keep_their_order()
    {
        var result = await Run(Job("echo one; echo two >&2; echo three; echo four >&2"));
        Assert.Equal("one\ntwo\nthree\nfour\n", result.Output);
    }

    [Fact]
    public async Task Jobs_start_with_every_signal_at_its_default_and_none_blocked()
    {
        // .NET ignores SIGPIPE; a job must not inherit that: `yes | head -n 1` ends quietly in a terminal.
        var result = await Run(Job("grep -E '^Sig(Blk|Ign)' /proc/self/status; yes | head -n 1"));
        Assert.Equal(AttemptOutcome.Succeeded, result.Outcome);
        var lines = result.Output!.Split('\n');
        Assert.Equal(["y", ""], lines[2..]);
        foreach (var line in lines[..2])
        {
            // Signals 1-31; glibc keeps 32 and 33 for itself, ignored in a spawned child until its own libc starts.
            var mask = Convert.ToUInt64(line.Split('\t')[1], 16);
            Assert.True((mask & 0x7fff_ffff) == 0, $"{line}: a classic signal is blocked or ignored");
        }
    }
}

/// <summary>The Linux way on a kernel without pidfds (before 5.3): the watcher looks for the exit every 20 ms.</summary>
public sealed class SpawnedWithoutPidFdExecutionTests : ExecutionTests
{
    private protected override ShellExecutor Executor { get; } = new(SpawnedJobProcess.StartWithoutPidFd);
}

/// <summary>The way jobs start elsewhere (and where the C library lacks posix_spawn's extensions): System.Diagnostics.Process through setsid.</summary>
public sealed class ManagedExecutionTests : ExecutionTests
{
    private protected override ShellExecutor Executor { get; } = new(ManagedJobProcess.Start);
}
