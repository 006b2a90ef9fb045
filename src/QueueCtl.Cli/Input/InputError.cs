using QueueCtl.Core.Errors;

namespace QueueCtl.Cli.Input;

/// <summary>Builds the InvalidInput errors of the command line (exit code 2).</summary>
internal static class InputError
{
    public static QueueException Invalid(string errorId, string message, object? target = null) =>
        new(QueueErrorKind.InvalidInput, errorId, message, target);

    /// <summary>Shows a user-given value inside a message: quoted, shortened, control characters escaped.</summary>
    public static string Quote(string? value)
    {
        if (value is null) return "(nothing)";
        var shown = value.Length > 60 ? value[..60] + "..." : value;
        return "'" + Output.Text.OneLine(shown) + "'";
    }
}
