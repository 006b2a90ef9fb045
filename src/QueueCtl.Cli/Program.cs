// queuectl: the QueueCtl command line and worker host. Every verb lives in Commands/, thin over
// QueueCtl.Core; this file only parses, reports usage errors (exit 2) and invokes.
using System.CommandLine;
using System.CommandLine.Invocation;
using QueueCtl.Cli.Commands;

namespace QueueCtl.Cli;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        Console.OutputEncoding = System.Text.Encoding.UTF8;
        var root = CommandTree.Build();
        // No @response files: a job command may well start with '@'.
        var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parse.Action is ParseErrorAction || (parse.Errors.Count > 0 && parse.Action is null))
            return UsageError(parse);
        return await parse.InvokeAsync(new InvocationConfiguration
        {
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null, // workers handle SIGINT/SIGTERM themselves
        }).ConfigureAwait(false);
    }

    private static int UsageError(ParseResult parse)
    {
        var errors = parse.Errors.Select(e => e.Message).Distinct().ToList();
        // "Required command was not provided" only adds noise next to the real mistake.
        if (errors.Count > 1) errors = errors.Where(e => !e.StartsWith("Required command", StringComparison.Ordinal)).ToList();
        foreach (var error in errors) Common.Error(error);
        var path = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
            path.Insert(0, result.Command.Name);
        path[0] = "queuectl";
        Console.Error.WriteLine($"Run '{string.Join(' ', path)} --help' to see the commands and options.");
        return 2;
    }
}
