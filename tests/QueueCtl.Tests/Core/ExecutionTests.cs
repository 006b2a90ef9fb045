using System.Text;
using QueueCtl.Core.Jobs;
using QueueCtl.Core.Workers;
using QueueCtl.Tests.Support;
using ExecutionContext = QueueCtl.Core.Workers.ExecutionContext;

namespace QueueCtl.Tests.Core;

/// <summary>Running one attempt for real: the shell, argv splitting, environment, folder, output tail, start failures.</summary>
public class ExecutionTests
{
    private static ClaimedJob Job(string command, JobShell shell = JobShell.Sh, string? folder = null,
        IReadOnlyDictionary<string, string>? environment = null, int timeoutSec = 0, string id = "job-1", int attempt = 1) =>
        new(id, 1, attempt, command, shell, "default", 0, 0, timeoutSec, folder,
            environment ?? new Dictionary<string, string>(), DateTimeOffset.UtcNow);

    private static Task<AttemptResult> Run(ClaimedJob job, int outputLimit = 65_536) =>
        ShellExecutor.Instance.ExecuteAsync(job, new ExecutionContext { OutputLimit = outputLimit }, CancellationToken.None);

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

    [Theory]
    [InlineData("a  b\tc", new[] { "a", "b", "c" })]
    [InlineData("'' x", new[] { "", "x" })]
    [InlineData("pre'quoted part'post", new[] { "prequoted partpost" })]
    [InlineData("\"a\\\\b\" \"a\\nb\"", new[] { "a\\b", "a\\nb" })]
    [InlineData("trailing\\", new[] { "trailing\\" })]
    public void Command_lines_split_like_a_posix_shell_splits_plain_words(string line, string[] argv) =>
        Assert.Equal(argv, CommandLineSplitter.Split(line).ToArray());

    [Theory]
    [InlineData("   ")]
    [InlineData("'open")]
    [InlineData("\"open")]
    public void Command_lines_that_cannot_be_split_say_why(string line) =>
        Assert.Throws<FormatException>(() => CommandLineSplitter.Split(line));

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
        var script = temp.File("script.sh");
        File.WriteAllText(script, "#!/bin/sh\necho should not run\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite);
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

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(1000)]
    public void Output_tail_drops_a_cut_character_however_the_bytes_arrive(int chunk)
    {
        var text = string.Concat(Enumerable.Repeat("\u00e9\u20ac\U0001F600x", 500));
        var bytes = Encoding.UTF8.GetBytes(text);
        foreach (var limit in new[] { 10, 11, 12, 13, 101, 4095 })
        {
            var tail = new OutputTail(limit);
            for (var i = 0; i < bytes.Length; i += chunk) tail.Append(bytes.AsSpan(i, Math.Min(chunk, bytes.Length - i)));
            var kept = tail.Text()!;
            Assert.DoesNotContain('\uFFFD', kept);
            Assert.EndsWith(kept, text);
            Assert.InRange(Encoding.UTF8.GetByteCount(kept), limit - 3, limit);
            Assert.Equal(bytes.Length, tail.TotalBytes);
        }
    }

    [Fact]
    public void Output_tail_drops_a_cut_character_when_one_write_overflows_it()
    {
        // One read larger than the limit is how a pipe often delivers output.
        var bytes = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("\u00e9", 100))); // 200 bytes
        var tail = new OutputTail(7);
        tail.Append(bytes);
        Assert.Equal("\u00e9\u00e9\u00e9", tail.Text());
        Assert.Equal(200, tail.TotalBytes);
    }

    [Fact]
    public void Output_tail_keeps_short_output_whole()
    {
        var tail = new OutputTail(100);
        Assert.Null(tail.Text());
        tail.Append("h\u00e9llo "u8);
        tail.Append("w\u00f6rld"u8);
        Assert.Equal("h\u00e9llo w\u00f6rld", tail.Text());
    }
}
