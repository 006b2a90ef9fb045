using System.Buffers;
using System.Text;
using System.Text.Json;
using QueueCtl.Core.Errors;
using QueueCtl.Core.Jobs;

namespace QueueCtl.Cli.Input;

/// <summary>One job read from JSON, with where it came from (for messages).</summary>
internal sealed record JobInput(JobSpec Spec, int Line);

/// <summary>
/// Reads jobs from JSON strictly: one object, an array of objects, or a sequence of objects
/// (JSON lines). Unknown fields, wrong types, duplicate fields and numbers that are not whole or
/// do not fit are refused with the source, the line and the field named. Ranges (priority,
/// retries, timeout) are Core's to check; the caller prefixes Core's message with the line.
/// </summary>
internal static class JobJsonReader
{
    /// <summary>The name of a JSON job given as the command's argument; a one-line argument is not given line numbers.</summary>
    public const string ArgumentSource = "the JSON argument";

    public static readonly IReadOnlyList<string> Fields =
        ["id", "command", "shell", "queue", "priority", "max_retries", "timeout_sec", "timeout", "run_at", "delay", "working_directory", "environment"];

    // The same names as UTF-8, so that a field's name is matched without turning it into a string.
    private static readonly byte[][] Utf8Fields = Fields.Select(Encoding.UTF8.GetBytes).ToArray();

    /// <param name="source">How to name the input in messages: "jobs.jsonl", "standard input", "the JSON argument".</param>
    /// <param name="baseDirectory">Relative working directories are resolved against this (the caller's directory).</param>
    public static IReadOnlyList<JobInput> Read(byte[] utf8, string source, string baseDirectory)
    {
        var context = new Context(utf8, source, baseDirectory);
        // Checked without decoding; only invalid text is decoded, to find where it goes wrong.
        if (!System.Text.Unicode.Utf8.IsValid(utf8)
            && System.Text.Unicode.Utf8.ToUtf16(utf8, new char[utf8.Length], out var valid, out _, replaceInvalidSequences: false) == System.Buffers.OperationStatus.InvalidData)
            throw context.Error(context.LineOf(valid), "InvalidUtf8",
                $"the text is not valid UTF-8 (byte 0x{utf8[valid]:X2} at offset {valid}). Save or pipe it as UTF-8.");
        var start = SkipWhitespace(utf8, utf8.AsSpan().StartsWith("\xEF\xBB\xBF"u8) ? 3 : 0);
        if (start == utf8.Length)
            throw InputError.Invalid("NoJobs", $"{source} is empty: it holds no jobs. Give a JSON object per line (JSON lines) or a JSON array of objects, each with at least a \"command\".", source);
        var jobs = new List<JobInput>();
        if (utf8[start] == (byte)'[') ReadArray(context, start, jobs);
        else ReadSequence(context, start, jobs);
        if (source == ArgumentSource && jobs.Count > 1)
            throw context.Error(jobs[1].Line, "MoreThanOneValue",
                "the JSON argument holds more than one JSON value. Give one object, or an array of objects ([{...}, {...}]), or use --file for JSON lines.");
        return jobs;
    }

    public static IReadOnlyList<JobInput> Read(string json, string source, string baseDirectory) =>
        Read(Encoding.UTF8.GetBytes(json), source, baseDirectory);

    private sealed class Context(byte[] data, string source, string baseDirectory)
    {
        // Offsets of each '\n', so that any byte offset maps to a 1-based line number.
        private readonly int[] _newlines = FindNewlines(data);
        public byte[] Data { get; } = data;
        public string Source { get; } = source;
        public string BaseDirectory { get; } = baseDirectory;

        public int LineOf(long offset)
        {
            var index = Array.BinarySearch(_newlines, (int)offset);
            return (index < 0 ? ~index : index) + 1;
        }

        public QueueException Error(int line, string errorId, string message) =>
            InputError.Invalid(errorId, _newlines.Length == 0 && Source == ArgumentSource ? $"{Source}: {message}" : $"{Source}, line {line}: {message}", line);

        private static int[] FindNewlines(ReadOnlySpan<byte> all)
        {
            var list = new List<int>();
            for (var i = 0; i < all.Length; i++) if (all[i] == (byte)'\n') list.Add(i);
            return [.. list];
        }
    }

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 8, CommentHandling = JsonCommentHandling.Disallow, AllowTrailingCommas = false };

    private static void ReadArray(Context context, int start, List<JobInput> jobs)
    {
        var data = context.Data.AsSpan();
        var reader = new Utf8JsonReader(data[start..], isFinalBlock: true, new JsonReaderState(ReaderOptions));
        try
        {
            reader.Read(); // '['
            while (true)
            {
                Next(ref reader, context, start);
                if (reader.TokenType == JsonTokenType.EndArray) break;
                var line = context.LineOf(start + reader.TokenStartIndex);
                if (reader.TokenType != JsonTokenType.StartObject)
                    throw context.Error(line, "InvalidJobJson", $"item {jobs.Count + 1} of the array is {Describe(reader.TokenType)}; each job must be a JSON object like {{\"command\": \"echo hi\"}}.");
                jobs.Add(new JobInput(ReadObject(ref reader, context, start), line));
            }
            var end = start + (int)reader.BytesConsumed;
            var rest = SkipWhitespace(data, end);
            if (rest < data.Length)
                throw context.Error(context.LineOf(rest), "InvalidJobJson", "there is more text after the closing ']' of the array. Give one array, or one object per line.");
        }
        catch (JsonException e)
        {
            throw SyntaxError(context, start, e);
        }
    }

    private static void ReadSequence(Context context, int start, List<JobInput> jobs)
    {
        var data = context.Data.AsSpan();
        var offset = start;
        while (offset < data.Length)
        {
            var reader = new Utf8JsonReader(data[offset..], isFinalBlock: true, new JsonReaderState(ReaderOptions));
            var line = context.LineOf(offset);
            try
            {
                Next(ref reader, context, offset);
                if (reader.TokenType != JsonTokenType.StartObject)
                    throw context.Error(line, "InvalidJobJson", $"found {Describe(reader.TokenType)} where a job was expected; each job must be a JSON object like {{\"command\": \"echo hi\"}}.");
                jobs.Add(new JobInput(ReadObject(ref reader, context, offset), line));
            }
            catch (JsonException e)
            {
                // Name the line where the broken job starts (JSON lines: its line), and where the reader gave up.
                var at = SyntaxError(context, offset, e);
                var errorLine = at.Target is int l ? l : line;
                throw errorLine == line ? at : context.Error(line, "InvalidJson",
                    $"the job starting here is not valid JSON; the problem shows at line {errorLine}: {at.Message[(at.Message.IndexOf("JSON: ", StringComparison.Ordinal) + 6)..]}");
            }
            offset = SkipWhitespace(data, offset + (int)reader.BytesConsumed);
        }
    }

    private static JobSpec ReadObject(ref Utf8JsonReader reader, Context context, int baseOffset)
    {
        var spec = new JobSpec();
        var seen = 0; // one bit per entry of Fields
        string? timeoutField = null;
        while (true)
        {
            Next(ref reader, context, baseOffset);
            if (reader.TokenType == JsonTokenType.EndObject) break;
            // Lines are found (a search through the input) only for a message.
            var at = baseOffset + reader.TokenStartIndex;
            var index = FieldIndex(ref reader);
            if (index < 0)
                throw context.Error(context.LineOf(at), "UnknownField", $"unknown field {InputError.Quote(reader.GetString())}. Job fields are: {string.Join(", ", Fields)}.");
            var name = Fields[index];
            if ((seen & (1 << index)) != 0)
                throw context.Error(context.LineOf(at), "DuplicateField", $"field \"{name}\" is given twice.");
            seen |= 1 << index;
            if (name is "timeout" or "timeout_sec")
            {
                if (timeoutField is not null)
                    throw context.Error(context.LineOf(at), "DuplicateField", $"\"{name}\" and \"{timeoutField}\" both set the timeout; give one of them.");
                timeoutField = name;
            }
            Next(ref reader, context, baseOffset);
            var field = new Field(name, at, context);
            switch (name)
            {
                case "id": spec.Id = field.String(ref reader); break;
                case "command": spec.Command = field.String(ref reader, nullable: false) ?? ""; break;
                case "shell": spec.Shell = field.String(ref reader) is { } shell ? ParseShell(shell, field) : null; break;
                case "queue": spec.Queue = field.String(ref reader); break;
                case "priority": spec.Priority = field.Integer(ref reader) ?? 0; break;
                case "max_retries": spec.MaxRetries = field.Integer(ref reader); break;
                case "timeout" or "timeout_sec": spec.TimeoutSec = field.Integer(ref reader); break;
                case "run_at":
                    if (field.String(ref reader) is { } runAt)
                        spec.RunAt = TimeInput.TryParseInstant(runAt, out var instant) ? instant
                            : throw field.Error("InvalidTime", $"{InputError.Quote(runAt)} is not an ISO 8601 time (for example 2026-01-02T09:30:00Z)");
                    break;
                case "delay": spec.Delay = field.Delay(ref reader); break;
                case "working_directory":
                    if (field.String(ref reader) is { } directory)
                        spec.WorkingDirectory = directory.Length == 0 ? directory : Path.GetFullPath(directory, context.BaseDirectory);
                    break;
                case "environment": spec.Environment = field.Environment(ref reader, context, baseOffset); break;
            }
        }
        if ((seen & (1 << CommandField)) == 0)
            throw context.Error(context.LineOf(baseOffset + reader.TokenStartIndex), "MissingCommand", "the job has no \"command\" field. Every job needs the command line to run.");
        return spec;
    }

    private static readonly int CommandField = Fields.ToList().IndexOf("command");

    /// <summary>The property name the reader is on, as an index into <see cref="Fields"/>; -1 if it is none of them.</summary>
    private static int FieldIndex(ref Utf8JsonReader reader)
    {
        for (var i = 0; i < Utf8Fields.Length; i++)
            if (reader.ValueTextEquals(Utf8Fields[i])) return i; // unescapes as it compares
        return -1;
    }

    private static JobShell ParseShell(string value, Field field) => value.ToLowerInvariant() switch
    {
        "sh" => JobShell.Sh,
        "cmd" => JobShell.Cmd,
        "pwsh" => JobShell.Pwsh,
        "none" => JobShell.None,
        _ => throw field.Error("InvalidShell", $"{InputError.Quote(value)} is not a shell; use sh, cmd, pwsh or none"),
    };

    /// <param name="at">Where the field's name starts in the input (its line is found only for a message).</param>
    private readonly struct Field(string name, long at, Context context)
    {
        public QueueException Error(string errorId, string problem) =>
            context.Error(context.LineOf(at), errorId, $"field \"{name}\": {problem}.");

        private QueueException WrongType(JsonTokenType found, string expected) =>
            Error("WrongType", $"expected {expected}, found {Describe(found)}");

        public string? String(ref Utf8JsonReader reader, bool nullable = true)
        {
            if (reader.TokenType == JsonTokenType.String) return reader.GetString();
            if (reader.TokenType == JsonTokenType.Null && nullable) return null;
            throw WrongType(reader.TokenType, "a string");
        }

        public int? Integer(ref Utf8JsonReader reader)
        {
            if (reader.TokenType == JsonTokenType.Null) return null;
            if (reader.TokenType != JsonTokenType.Number) throw WrongType(reader.TokenType, "a whole number");
            if (reader.TryGetInt32(out var value)) return value;
            var raw = Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan);
            if (reader.TryGetDouble(out var number) && number == Math.Floor(number) && !raw.Contains('.'))
                throw Error("NumberOutOfRange", $"{raw} is far outside the allowed range");
            throw Error("WrongType", $"expected a whole number, found {raw}");
        }

        public TimeSpan? Delay(ref Utf8JsonReader reader)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.Null: return null;
                case JsonTokenType.String:
                    try { return TimeInput.ParseDuration(reader.GetString(), "delay"); }
                    catch (QueueException) { throw Error("InvalidDelay", $"{InputError.Quote(reader.GetString())} is not a duration; use seconds or 30s, 5m, 2h, 1d"); }
                case JsonTokenType.Number:
                    if (reader.TryGetDouble(out var seconds) && seconds >= 0 && seconds <= 10 * 366 * 86400.0) return TimeSpan.FromSeconds(seconds);
                    throw Error("InvalidDelay", "a delay must be between 0 and 10 years, in seconds");
                default: throw WrongType(reader.TokenType, "a duration such as \"10s\" or a number of seconds");
            }
        }

        public Dictionary<string, string>? Environment(ref Utf8JsonReader reader, Context context, int baseOffset)
        {
            if (reader.TokenType == JsonTokenType.Null) return null;
            if (reader.TokenType != JsonTokenType.StartObject) throw WrongType(reader.TokenType, "an object of NAME: \"value\" pairs");
            var environment = new Dictionary<string, string>(StringComparer.Ordinal);
            while (true)
            {
                Next(ref reader, context, baseOffset);
                if (reader.TokenType == JsonTokenType.EndObject) return environment;
                var variable = reader.GetString()!;
                Next(ref reader, context, baseOffset);
                if (reader.TokenType != JsonTokenType.String)
                    throw Error("WrongType", $"variable {InputError.Quote(variable)} must be a string, found {Describe(reader.TokenType)}");
                if (!environment.TryAdd(variable, reader.GetString()!))
                    throw Error("DuplicateField", $"variable {InputError.Quote(variable)} is given twice");
            }
        }
    }

    private static void Next(ref Utf8JsonReader reader, Context context, int baseOffset)
    {
        if (!reader.Read())
            throw context.Error(context.LineOf(baseOffset + reader.BytesConsumed), "InvalidJson", "the JSON ends too early (a closing } or ] is missing).");
    }

    private static QueueException SyntaxError(Context context, int baseOffset, JsonException e)
    {
        var line = context.LineOf(baseOffset) + (int)(e.LineNumber ?? 0);
        var reason = e.Message;
        var cut = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut > 0) reason = reason[..cut];
        return context.Error(line, "InvalidJson", $"this is not valid JSON: {reason.TrimEnd('.', ' ')}.");
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "true/false",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    private static int SkipWhitespace(ReadOnlySpan<byte> data, int offset)
    {
        while (offset < data.Length && data[offset] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') offset++;
        return offset;
    }
}
