using System.CommandLine;
using QueueCtl.Cli.Input;
using QueueCtl.Cli.Output;
using QueueCtl.Core;
using QueueCtl.Core.Config;

namespace QueueCtl.Cli.Commands;

/// <summary>
/// queuectl config get [KEY] | set KEY VALUE | show, and the classic
/// queuectl config --key KEY [--value VALUE]. Key spellings (max-retries, base_backoff) are Core's.
/// </summary>
internal static class ConfigCommands
{
    public static Command Build()
    {
        var key = new Option<string?>("--key", "-k") { Description = "Classic form: the key to read, or to set with --value." };
        var value = new Option<string?>("--value", "-v") { Description = "Classic form: the new value for --key." };
        var config = new Command("config", "Read or change the queue's configuration (stored in the database; workers see changes at once).")
        {
            key, value, Common.Json,
        };
        config.SetHandler(parse =>
        {
            var name = parse.GetValue(key);
            var newValue = parse.GetValue(value);
            var json = parse.GetValue(Common.Json);
            using var queue = Common.OpenQueue(parse);
            if (name is null)
            {
                if (newValue is not null) throw InputError.Invalid("ValueWithoutKey", "--value needs --key: queuectl config --key max_retries --value 5.");
                return Show(queue, json);
            }
            return newValue is null ? Get(queue, name, json) : Set(queue, name, newValue, json);
        });

        var getKey = new Argument<string?>("key") { Description = "The key (all keys when omitted).", Arity = ArgumentArity.ZeroOrOne };
        var get = new Command("get", "Print one key's value, or every key.") { getKey, Common.Json };
        get.SetHandler(parse =>
        {
            using var queue = Common.OpenQueue(parse);
            return parse.GetValue(getKey) is { } name ? Get(queue, name, parse.GetValue(Common.Json)) : Show(queue, parse.GetValue(Common.Json));
        });

        var setKey = new Argument<string>("key") { Description = "The key: max_retries, backoff_base, ..." };
        var setValue = new Argument<string>("value") { Description = "The new value (checked against the key's range)." };
        var set = new Command("set", "Change a key.") { setKey, setValue, Common.Json };
        set.SetHandler(parse =>
        {
            using var queue = Common.OpenQueue(parse);
            return Set(queue, parse.GetValue(setKey)!, parse.GetValue(setValue)!, parse.GetValue(Common.Json));
        });

        var show = new Command("show", "Show every key with its value, default, range and meaning.") { Common.Json };
        show.Aliases.Add("list");
        show.SetHandler(parse =>
        {
            using var queue = Common.OpenQueue(parse);
            return Show(queue, parse.GetValue(Common.Json));
        });

        config.Add(get);
        config.Add(set);
        config.Add(show);
        return config;
    }

    private static int Get(JobQueue queue, string key, bool json)
    {
        var entry = queue.GetConfigEntry(key);
        if (json) JsonOutput.Write(JsonOutput.Config(entry));
        else Console.WriteLine(entry.Value);
        return 0;
    }

    private static int Set(JobQueue queue, string key, string value, bool json)
    {
        var before = queue.GetConfigEntry(key);
        var after = queue.SetConfig(key, value);
        if (json) JsonOutput.Write(JsonOutput.Config(after));
        else Console.WriteLine($"{after.Key} = {after.Value}" + (before.Value == after.Value ? " (unchanged)" : $" (was {before.Value})"));
        return 0;
    }

    private static int Show(JobQueue queue, bool json)
    {
        var entries = queue.GetConfigEntries();
        if (json) { JsonOutput.Write(entries.Select(JsonOutput.Config).ToList()); return 0; }
        var table = new Table("KEY", ">VALUE", ">DEFAULT", "RANGE", "MEANING");
        foreach (var e in entries) table.Add(e.Key, e.Value, e.Default, e.Range, e.Description);
        table.Write(Console.Out);
        return 0;
    }
}
