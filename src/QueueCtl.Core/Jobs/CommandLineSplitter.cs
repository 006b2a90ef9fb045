using System.Text;

namespace QueueCtl.Core.Jobs;

/// <summary>
/// Splits a command line into argv for <see cref="JobShell.None"/>, the way a POSIX shell
/// would for plain words: whitespace separates, 'single quotes' are literal, "double quotes"
/// honour \" and \\, and a backslash outside quotes escapes the next character.
/// </summary>
public static class CommandLineSplitter
{
    public static IReadOnlyList<string> Split(string commandLine)
    {
        var args = new List<string>();
        var current = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < commandLine.Length; i++)
        {
            var c = commandLine[i];
            if (char.IsWhiteSpace(c))
            {
                if (inWord) { args.Add(current.ToString()); current.Clear(); inWord = false; }
                continue;
            }
            inWord = true;
            switch (c)
            {
                case '\'':
                    var close = commandLine.IndexOf('\'', i + 1);
                    if (close < 0) throw new FormatException($"the single quote at position {i + 1} is never closed");
                    current.Append(commandLine, i + 1, close - i - 1);
                    i = close;
                    break;
                case '"':
                    i++;
                    for (; ; i++)
                    {
                        if (i >= commandLine.Length) throw new FormatException("a double quote is never closed");
                        if (commandLine[i] == '"') break;
                        if (commandLine[i] == '\\' && i + 1 < commandLine.Length && commandLine[i + 1] is '"' or '\\') i++;
                        current.Append(commandLine[i]);
                    }
                    break;
                case '\\' when i + 1 < commandLine.Length:
                    current.Append(commandLine[++i]);
                    break;
                default:
                    current.Append(c);
                    break;
            }
        }
        if (inWord) args.Add(current.ToString());
        if (args.Count == 0) throw new FormatException("it holds no words");
        return args;
    }
}
