using System.Text.Json;
using System.Text.Json.Serialization;

namespace QueueCtl.Core.Jobs;

/// <summary>
/// A job's extra environment variables as stored: one JSON object of strings. Source-generated,
/// so that a trimmed or natively compiled queuectl needs no reflection for it.
/// </summary>
internal static class EnvironmentJson
{
    public static string Write(Dictionary<string, string> environment) =>
        JsonSerializer.Serialize(environment, EnvironmentJsonContext.Default.DictionaryStringString);

    public static Dictionary<string, string>? Read(string json) =>
        JsonSerializer.Deserialize(json, EnvironmentJsonContext.Default.DictionaryStringString);
}

[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class EnvironmentJsonContext : JsonSerializerContext;
