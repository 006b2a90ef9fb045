using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace QueueCtl.Tests.Faults;

/// <summary>How a hostile input reaches queuectl.</summary>
public enum InputChannel { Argument, File, Stdin, Config }

/// <summary>One input that must be refused: its bytes, how it is delivered, and a word the refusal must name.</summary>
public sealed record HostileCase(string Name, InputChannel Channel, byte[] Bytes, string MustMention, string[]? ConfigArgs = null)
{
    public string Text => Encoding.UTF8.GetString(Bytes);
    public override string ToString() => $"{Channel}: {Name}";
}

/// <summary>
/// Generates malformed and hostile inputs for `queuectl enqueue` (argument, --file, stdin) and the
/// config verbs: broken JSON, wrong types, numbers out of range, huge strings, control characters,
/// SQL fragments, invalid UTF-8. Every generated case is invalid by construction.
/// </summary>
public static class HostileInput
{
    private static readonly string Huge = new('h', 200_000);
    private const string Sql = "x'; DROP TABLE jobs; --";

    // Per field, values that field must refuse.
    private static readonly Dictionary<string, JsonNode?[]> BadValues = new()
    {
        ["id"] = ["", "a b", Sql, new string('i', 129), "tab\tid", "nul\u0000id", "ünïcode", "\u001b[31mred", 42, true, new JsonArray()],
        ["command"] = ["", "   ", new string('c', 100_001), "a\u0000b", 42, new JsonArray(), new JsonObject()],
        ["priority"] = [1001, -1001, 1e20, "5", 1.5, true],
        ["max_retries"] = [-1, 1001, 1e300, "3", 2.5, false],
        ["timeout_sec"] = [-1, 604_801, 1e10, "x"],
        ["run_at"] = ["tomorrow", "9999-12-31T00:00:00Z", "1999-01-01T00:00:00Z", "2026-13-45T99:99:99Z", 12345, ""],
        ["queue"] = ["", "q q", Sql, new string('q', 65), 7, "\u0007bell"],
        ["shell"] = ["bash", "", 3, Sql],
    };

    // The word a refusal of each field must contain (Core says "timeout" and "run-at" in its messages).
    private static readonly Dictionary<string, string> Mention = new()
    {
        ["id"] = "id", ["command"] = "command", ["priority"] = "priority", ["max_retries"] = "retries",
        ["timeout_sec"] = "timeout", ["run_at"] = "run", ["queue"] = "queue", ["shell"] = "shell",
    };

    private static JsonObject Valid(int n) => new() { ["id"] = $"ok-{n}", ["command"] = "echo fine" };

    /// <summary>Hand-picked cases covering every kind, plus <paramref name="random"/> seeded random ones.</summary>
    public static IEnumerable<HostileCase> Generate(int random, int seed)
    {
        var n = 0;
        foreach (var (field, values) in BadValues)
        {
            foreach (var value in values)
            {
                var job = Valid(n++);
                job[field] = value?.DeepClone();
                var json = job.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
                // Arguments cannot hold NUL or 128 KiB: those go by file.
                var channel = json.Length > 100_000 || json.Contains('\0') || json.Contains("\\u0000") ? InputChannel.File : InputChannel.Argument;
                yield return new HostileCase($"{field} = {Shorten(value?.ToJsonString())}", channel, Encoding.UTF8.GetBytes(json), Mention[field]);
            }
        }
        yield return Case("unknown field", InputChannel.Argument, """{"id":"u1","command":"echo","colour":"red"}""", "colour");
        yield return Case("not an object", InputChannel.Argument, "[1,2,3]", "JSON");
        // `null` reads as JSON, not as a command named null: refused in both places.
        yield return Case("null", InputChannel.Argument, "null", "JSON");
        yield return Case("null in a file", InputChannel.File, "null", "JSON");
        yield return Case("trailing comma", InputChannel.Argument, """{"id":"t1","command":"echo",}""", "JSON");
        yield return Case("unquoted key", InputChannel.Argument, """{id:"t2","command":"echo"}""", "JSON");
        yield return Case("two objects", InputChannel.Argument, """{"command":"a"}{"command":"b"}""", "JSON");
        yield return Case("deep nesting", InputChannel.File, new string('[', 100_000) + new string(']', 100_000), "JSON");
        yield return Case("huge command in a file", InputChannel.File, $$"""{"command":"{{Huge}}"}""", "command");
        yield return new HostileCase("invalid UTF-8 in a string", InputChannel.File,
            [.. "{\"id\":\"bad\",\"command\":\"echo "u8, 0xC3, 0x28, 0xFF, .. "\"}"u8], "UTF-8");
        yield return new HostileCase("invalid UTF-8 on stdin", InputChannel.Stdin, [0xFE, 0xFF, 0x00, 0x7B], "UTF-8");
        yield return Case("one bad line among good ones", InputChannel.File,
            "{\"id\":\"g1\",\"command\":\"echo 1\"}\n{\"id\":\"g2\",\"command\":\"\"}\n{\"id\":\"g3\",\"command\":\"echo 3\"}\n", "line 2");
        yield return Case("duplicate ids inside one file", InputChannel.File,
            "{\"id\":\"d1\",\"command\":\"echo 1\"}\n{\"id\":\"d1\",\"command\":\"echo 2\"}\n", "d1");
        yield return Case("empty file", InputChannel.File, "", "no jobs");
        yield return Case("truncated on stdin", InputChannel.Stdin, """{"id":"s1","command":"ec""", "JSON");

        foreach (var (key, value, mention) in new[]
        {
            ("max_retries", "-1", "max_retries"), ("max_retries", "1001", "max_retries"), ("max_retries", "abc", "max_retries"),
            ("max_retries", "", "max_retries"), ("backoff_base", "NaN", "backoff_base"), ("backoff_base", "Infinity", "backoff_base"),
            ("backoff_max", "1e400", "backoff_max"), ("lease_seconds", "0x10", "lease_seconds"), ("output_limit", "3; DROP TABLE config", "output_limit"),
            ("job_timeout", " 3 4", "job_timeout"), ("shutdown_grace", "3.5", "shutdown_grace"), ("backoff_jitter", "2", "backoff_jitter"),
            ("nope", "3", "nope"), ("max_retries'--", "3", "max_retries"), ("\u001b[2J", "3", "configuration key"),
        })
            yield return new HostileCase($"config set {Shorten(key)} {Shorten(value)}", InputChannel.Config, [], mention, ["config", "set", key, value]);
        yield return new HostileCase("classic config --key --value out of range", InputChannel.Config, [], "max_retries",
            ["config", "--key", "max_retries", "--value", "-5"]);

        var rng = new Random(seed);
        var fields = BadValues.Keys.ToArray();
        for (var i = 0; i < random; i++)
        {
            var job = Valid(n++);
            if (rng.Next(4) == 0)
            {
                // Structural damage: cut a valid document short.
                var text = job.ToJsonString();
                yield return Case($"random truncation {i}", (InputChannel)rng.Next(3), text[..rng.Next(1, text.Length - 1)], "JSON");
                continue;
            }
            var field = fields[rng.Next(fields.Length)];
            var values = BadValues[field];
            job[field] = values[rng.Next(values.Length)]?.DeepClone();
            var json = job.ToJsonString();
            var channel = json.Length > 100_000 || json.Contains("\\u0000") ? InputChannel.File : (InputChannel)rng.Next(3);
            yield return new HostileCase($"random {field} {i}", channel, Encoding.UTF8.GetBytes(json), Mention[field]);
        }
    }

    private static HostileCase Case(string name, InputChannel channel, string text, string mention) =>
        new(name, channel, Encoding.UTF8.GetBytes(text), mention);

    private static string Shorten(string? text) =>
        text is null ? "null" : (text.Length > 24 ? text[..24] + "…" : text).Replace("\u0000", "\\0").Replace("\u001b", "\\e");
}
