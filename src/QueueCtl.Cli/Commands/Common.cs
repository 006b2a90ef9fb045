using System.CommandLine;
using System.Globalization;
using QueueCtl.Cli.Input;
using QueueCtl.Core;
using QueueCtl.Core.Errors;

namespace QueueCtl.Cli.Commands;

/// <summary>Options shared by every verb, and the error handling every action goes through.</summary>
internal static class Common
{
    /// <summary>--db PATH: recursive, so it works before or after any verb.</summary>
    public static readonly Option<string?> Db = new("--db")
    {
        Description = "The queue database (else $QUEUECTL_DB, else the per-user default).",
        HelpName = "PATH",
        Recursive = true,
    };

    /// <summary>--json: machine-readable output; added to each verb that prints data.</summary>
    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print JSON (camelCase, ISO 8601 UTC times) instead of a table.",
    };

    public static JobQueue OpenQueue(ParseResult parse) => JobQueue.Open(parse.GetValue(Db));

    /// <summary>Sets an action that turns QueueExceptions into "queuectl: message" and their exit code.</summary>
    public static void SetHandler(this Command command, Func<ParseResult, int> action) =>
        command.SetAction(parse => Guard(() => action(parse)));

    public static void SetHandler(this Command command, Func<ParseResult, Task<int>> action) =>
        command.SetAction(async (parse, _) =>
        {
            try { return await action(parse).ConfigureAwait(false); }
            catch (Exception e) { return Fail(e); }
        });

    private static int Guard(Func<int> action)
    {
        try { return action(); }
        catch (Exception e) { return Fail(e); }
    }

    public static int Fail(Exception e)
    {
        switch (e)
        {
            case QueueException q:
                Error(q.Message);
                return q.ExitCode;
            case IOException or UnauthorizedAccessException:
                Error(e.Message);
                return 1;
            default:
                Error($"unexpected error: {e.GetType().Name}: {e.Message}");
                if (Environment.GetEnvironmentVariable("QUEUECTL_DEBUG") is { Length: > 0 }) Console.Error.WriteLine(e);
                return 1;
        }
    }

    public static void Error(string message) => Console.Error.WriteLine($"queuectl: {message}");

    /// <summary>An integer option value, refused with a message naming the option.</summary>
    public static int? Integer(string? text, string option, int min, int max)
    {
        if (text is null) return null;
        if (!int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            throw System.Numerics.BigInteger.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)
                ? InputError.Invalid("NumberOutOfRange", $"{option} {text.Trim()} is far outside the allowed range.", text)
                : InputError.Invalid("InvalidNumber", $"{option} takes a whole number; {InputError.Quote(text)} is not one.", text);
        if (value < min || value > max)
            throw InputError.Invalid("NumberOutOfRange", $"{option} must be between {min} and {max}; {value} was given.", text);
        return value;
    }
}
