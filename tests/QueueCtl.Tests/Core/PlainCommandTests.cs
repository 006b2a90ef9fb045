using QueueCtl.Core.Processes;

namespace QueueCtl.Tests.Core;

/// <summary>Which shell command lines may start their program without sh, and which keep the shell.</summary>
public class PlainCommandTests
{
    [Theory]
    [InlineData("true", new[] { "true" })]
    [InlineData("  python3\treport.py --day 2026-12-01  ", new[] { "python3", "report.py", "--day", "2026-12-01" })]
    [InlineData("/usr/bin/env dd if=in.bin of=out.bin bs=1M", new[] { "/usr/bin/env", "dd", "if=in.bin", "of=out.bin", "bs=1M" })]
    [InlineData("./tools/run.sh user@host:path a,b +x 50% r\u00e9sum\u00e9.txt", new[] { "./tools/run.sh", "user@host:path", "a,b", "+x", "50%", "r\u00e9sum\u00e9.txt" })]
    public void Plain_words_start_their_program_directly(string command, string[] argv) =>
        Assert.Equal(argv, PlainCommand.Words(command));

    [Theory]
    [InlineData("")] // nothing to run
    [InlineData("echo $HOME")] // expansion
    [InlineData("echo `date`")]
    [InlineData("cat 'a b'")] // quoting
    [InlineData("cat \"a\"")]
    [InlineData("cat a\\ b")]
    [InlineData("ls *.txt")] // globs
    [InlineData("ls file?")]
    [InlineData("ls [ab]")]
    [InlineData("ls ~/x")] // tilde
    [InlineData("sort < in")] // redirection and operators
    [InlineData("sort > out")]
    [InlineData("a | b")]
    [InlineData("a && b")]
    [InlineData("a; b")]
    [InlineData("sleep 1 &")]
    [InlineData("(cd x)")]
    [InlineData("{ x; }")]
    [InlineData("a\nb")] // two commands
    [InlineData("run # comment")]
    [InlineData("! false")] // a keyword
    [InlineData("if")]
    [InlineData("cd /tmp")] // builtins, which change the shell or differ from the programs of the same name
    [InlineData("exit 3")]
    [InlineData("echo -e hi")]
    [InlineData("printf x")]
    [InlineData("kill 1")]
    [InlineData("pwd")]
    [InlineData("source env.sh")]
    [InlineData(". env.sh")]
    [InlineData("exec tool")]
    [InlineData("true --help")] // /usr/bin/true --help prints its help; the builtin does not
    [InlineData("FOO=bar tool")] // an assignment
    [InlineData("tool\u00a0arg")] // a no-break space is not a separator to sh, and not plain
    public void Anything_a_shell_would_interpret_keeps_the_shell(string command) =>
        Assert.Null(PlainCommand.Words(command));

    [Fact]
    public void A_function_exported_to_bash_under_the_program_name_keeps_the_shell()
    {
        var environment = new Dictionary<string, string> { ["BASH_FUNC_deploy%%"] = "() { echo shadowed; }" };
        Assert.Null(PlainCommand.Words("deploy now", environment));
        Assert.Equal(new[] { "other", "now" }, PlainCommand.Words("other now", environment));
    }
}
