namespace QueueCtl.Core.Config;

/// <summary>One configuration key as shown to people: its value, whether it is the default, and what it may be.</summary>
public sealed class QueueConfigEntry
{
    public required string Key { get; init; }
    public required string Value { get; init; }
    public required string Default { get; init; }
    public bool IsDefault => Value == Default;
    public required string Range { get; init; }
    public required string Description { get; init; }

    public override string ToString() => $"{Key} = {Value}";
}
