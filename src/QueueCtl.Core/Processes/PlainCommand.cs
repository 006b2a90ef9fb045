namespace QueueCtl.Core.Processes;

/// <summary>
/// Recognises the shell command lines that sh would run as one program with plain words, such as
/// <c>python3 report.py --day 2026-12-01</c>, so that the program can be started without sh.
/// Debian's sh (dash) forks before it runs an external command, so <c>sh -c "tool arg"</c> costs
/// two process starts where the tool alone costs one. The test is strict: anything sh would expand,
/// quote, redirect, glob, assign or treat as its own (a builtin, a keyword) keeps the shell.
/// </summary>
internal static class PlainCommand
{
    // Every word sh gives a meaning of its own when it comes first: dash's and bash's builtins and
    // keywords. `true` and `false` with no arguments behave the same as the programs (below).
    private static readonly HashSet<string> ShellWords = new(StringComparer.Ordinal)
    {
        ".", ":", "alias", "bg", "bind", "break", "builtin", "caller", "case", "cd", "chdir", "command",
        "compgen", "complete", "compopt", "continue", "coproc", "declare", "dirs", "disown", "do", "done",
        "echo", "elif", "else", "enable", "esac", "eval", "exec", "exit", "export", "false", "fc", "fg",
        "fi", "for", "function", "getopts", "hash", "help", "history", "if", "in", "jobs", "kill", "let",
        "local", "logout", "mapfile", "popd", "printf", "pushd", "pwd", "read", "readarray", "readonly",
        "return", "select", "set", "shift", "shopt", "source", "suspend", "test", "then", "time", "times",
        "trap", "true", "type", "typeset", "ulimit", "umask", "unalias", "unset", "until", "wait", "while",
    };

    /// <summary>
    /// The argv to start in place of <c>sh -c <paramref name="command"/></c>, or null when only a
    /// shell can run the line as written. <paramref name="environment"/> is the job's full
    /// environment: a function exported to a bash /bin/sh under the first word's name keeps the shell.
    /// </summary>
    public static string[]? Words(string command, IReadOnlyDictionary<string, string>? environment = null)
    {
        var words = command.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0 || !words.All(IsPlainWord)) return null;
        var program = words[0];
        if (program.Contains('=')) return null; // NAME=value sets a variable, it is not a program
        if (ShellWords.Contains(program) && !(program is "true" or "false" && words.Length == 1)) return null;
        if (environment is not null && environment.ContainsKey($"BASH_FUNC_{program}%%")) return null;
        return words;
    }

    private static bool IsPlainWord(string word)
    {
        foreach (var c in word)
        {
            var plain = c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9')
                or '_' or '-' or '.' or '/' or ',' or ':' or '+' or '@' or '%' or '='
                || (c >= 0x80 && !char.IsWhiteSpace(c) && !char.IsControl(c)); // sh passes other bytes as they are
            if (!plain) return false;
        }
        return true;
    }
}
