using System.Buffers;
using System.Text;
using System.Text.Json;
using QueueCtl.Core.Errors;
using QueueCtl.Core.Jobs;

namespace QueueCtl.Cli.Input;

/// <summary>One job read from JSON, with where it came from (for messages).</summary>
internal readonly record struct JobInput(JobSpec Spec, int Line);

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

    /// <summary>
    /// The jobs in <paramref name="utf8"/>, read as they are enumerated, so that a large file's
    /// jobs can be written while the rest is still being read. Text that is not UTF-8,
    /// or holds no JSON at all, is refused here, before anything is read; a job that is not valid
    /// is refused when the reading reaches it.
    /// </summary>
    /// <param name="source">How to name the input in messages: "jobs.jsonl", "standard input", "the JSON argument".</param>
    /// <param name="baseDirectory">Relative working directories are resolved against this (the caller's directory).</param>
    public static IEnumerable<JobInput> Read(byte[] utf8, string source, string baseDirectory)
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
        if (utf8[start] == (byte)'[') return ReadArray(context, start);
        var jobs = ReadSequence(context, start);
        return source == ArgumentSource ? OnlyOne(jobs, context) : jobs;
    }

    /// <summary>An argument holds one job, or one array of them: not JSON lines.</summary>
    private static IEnumerable<JobInput> OnlyOne(IEnumerable<JobInput> jobs, Context context)
    {
        var count = 0;
        foreach (var job in jobs)
        {
            if (++count > 1)
                throw context.Error(job.Line, "MoreThanOneValue",
                    "the JSON argument holds more than one JSON value. Give one object, or an array of objects ([{...}, {...}]), or use --file for JSON lines.");
            yield return job;
        }
    }

    private sealed class Context(byte[] data, string source, string baseDirectory)
    {
        // The line of the last offset asked of LineAt: jobs are read in order, so each job's line is
        // counted on from the previous one's.
        private int _countedTo;
        private int _countedLine = 1;

        public byte[] Data { get; } = data;
        public string Source { get; } = source;
        public string BaseDirectory { get; } = baseDirectory;

        /// <summary>The 1-based line of any byte offset (for a message: it counts from the start).</summary>
        public int LineOf(long offset) => 1 + Data.AsSpan(0, (int)Math.Min(offset, Data.Length)).Count((byte)'\n');

        /// <summary>The line of a job's first byte, counted on from the job before (or from the top, when read again).</summary>
        public int LineAt(int offset)
        {
            if (offset < _countedTo) (_countedTo, _countedLine) = (0, 1);
            _countedLine += Data.AsSpan(_countedTo, offset - _countedTo).Count((byte)'\n');
            _countedTo = offset;
            return _countedLine;
        }

        public QueueException Error(int line, string errorId, string message) =>
            InputError.Invalid(errorId, Source == ArgumentSource && !Data.AsSpan().Contains((byte)'\n') ? $"{Source}: {message}" : $"{Source}, line {line}: {message}", line);
    }

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 8, CommentHandling = JsonCommentHandling.Disallow, AllowTrailingCommas = false };

    private static IEnumerable<JobInput> ReadArray(Context context, int start)
    {
        // One reader would read the whole array, but a reader cannot live in an iterator: each item
        // is read by a new one that carries on from the last one's state.
        var (state, offset) = OpenArray(context, start);
        for (var item = 1; ; item++)
        {
            var (job, next, nextState) = ReadArrayItem(context, start, offset, state, item);
            if (job is not { } found) yield break;
            yield return found;
            (offset, state) = (next, nextState);
        }
    }

    private static (JsonReaderState State, int Offset) OpenArray(Context context, int start)
    {
        var reader = new Utf8JsonReader(context.Data.AsSpan(start), isFinalBlock: true, new JsonReaderState(ReaderOptions));
        reader.Read(); // '['
        return (reader.CurrentState, start + (int)reader.BytesConsumed);
    }

    /// <summary>The array's next job (its <paramref name="item"/>th), or null at its end; where the one after starts.</summary>
    private static (JobInput? Job, int Next, JsonReaderState State) ReadArrayItem(Context context, int start, int offset, JsonReaderState state, int item)
    {
        var data = context.Data.AsSpan();
        var reader = new Utf8JsonReader(data[offset..], isFinalBlock: true, state);
        try
        {
            Next(ref reader, context, offset);
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                var rest = SkipWhitespace(data, offset + (int)reader.BytesConsumed);
                if (rest < data.Length)
                    throw context.Error(context.LineOf(rest), "InvalidJobJson", "there is more text after the closing ']' of the array. Give one array, or one object per line.");
                return (null, rest, reader.CurrentState);
            }
            var line = context.LineAt(offset + (int)reader.TokenStartIndex);
            if (reader.TokenType != JsonTokenType.StartObject)
                throw context.Error(line, "InvalidJobJson", $"item {item} of the array is {Describe(reader.TokenType)}; each job must be a JSON object like {{\"command\": \"echo hi\"}}.");
            var job = new JobInput(ReadObject(ref reader, context, offset), line);
            return (job, offset + (int)reader.BytesConsumed, reader.CurrentState);
        }
        catch (JsonException e)
        {
            // The reader counts lines from the array's start: its state carries on from reader to reader.
            throw SyntaxError(context, start, e);
        }
    }

    private static IEnumerable<JobInput> ReadSequence(Context context, int start)
    {
        for (var offset = start; offset < context.Data.Length;)
        {
            var (job, next) = ReadSequenceItem(context, offset);
            yield return job;
            offset = next;
        }
    }

    /// <summary>The job that starts at <paramref name="offset"/>, and where the next one starts.</summary>
    private static (JobInput Job, int Next) ReadSequenceItem(Context context, int offset)
    {
        var data = context.Data.AsSpan();
        var reader = new Utf8JsonReader(data[offset..], isFinalBlock: true, new JsonReaderState(ReaderOptions));
        var line = context.LineAt(offset);
        try
        {
            Next(ref reader, context, offset);
            if (reader.TokenType != JsonTokenType.StartObject)
                throw context.Error(line, "InvalidJobJson", $"found {Describe(reader.TokenType)} where a job was expected; each job must be a JSON object like {{\"command\": \"echo hi\"}}.");
            var job = new JobInput(ReadObject(ref reader, context, offset), line);
            return (job, SkipWhitespace(data, offset + (int)reader.BytesConsumed));
        }
        catch (JsonException e)
        {
            // Name the line where the broken job starts (JSON lines: its line), and where the reader gave up.
            var at = SyntaxError(context, offset, e);
            var errorLine = at.Target is int l ? l : line;
            throw errorLine == line ? at : context.Error(line, "InvalidJson",
                $"the job starting here is not valid JSON; the problem shows at line {errorLine}: {at.Message[(at.Message.IndexOf("JSON: ", StringComparison.Ordinal) + 6)..]}");
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
