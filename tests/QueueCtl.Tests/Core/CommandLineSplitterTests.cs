using QueueCtl.Core.Jobs;

namespace QueueCtl.Tests.Core;

/// <summary>How a --shell none command line becomes argv.</summary>
public class CommandLineSplitterTests
{
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
}
