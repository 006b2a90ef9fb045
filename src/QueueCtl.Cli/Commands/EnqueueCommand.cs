using System.CommandLine;
using System.CommandLine.Parsing;
using QueueCtl.Cli.Input;
using QueueCtl.Cli.Output;
using QueueCtl.Core;
using QueueCtl.Core.Errors;
using QueueCtl.Core.Jobs;

namespace QueueCtl.Cli.Commands;

/// <summary>
/// queuectl enqueue: a JSON job ('{"id":"job1","command":"echo hi"}'), a file of jobs
/// (--file jobs.json|jobs.jsonl, or - for standard input), or a plain command with options.
/// All jobs of one call are written in one transaction: all of them or none.
/// </summary>
internal static class EnqueueCommand
{
    // How messages name the source of a job given as a plain command (it has no lines).
    private const string PlainSource = "the command";

    public static Command Build()
    {
        var command = new Argument<string[]>("command")
        {
            Description = "The command line to run (quote it), a JSON job object or array, or - to read jobs from standard input.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var file = new Option<string?>("--file", "-f") { Description = "Read jobs from a file: a JSON array, or one JSON object per line (JSON lines). - reads standard input.", HelpName = "PATH" };
        var id = new Option<string?>("--id") { Description = "The job id (1-128 of A-Z a-z 0-9 . _ : -); generated when omitted." };
        var maxRetries = new Option<string?>("--max-retries") { Description = "Retries after the first attempt (default: config max_retries).", HelpName = "N" };
        var timeout = new Option<string?>("--timeout", "--timeout-sec") { Description = "Per-attempt limit in seconds; 0 = none (default: config job_timeout).", HelpName = "SECONDS" };
        var priority = new Option<string?>("--priority") { Description = "Higher runs first (-1000..1000, default 0).", HelpName = "N" };
        var queue = new Option<string?>("--queue", "-q") { Description = "The queue (default: default)." };
        var runAt = new Option<string?>("--run-at") { Description = "Not before this ISO 8601 time (2026-01-02T09:30:00Z; no offset = local time).", HelpName = "TIME" };
        var delay = new Option<string?>("--delay") { Description = "Not before this long from now: 30s, 5m, 2h, 1d.", HelpName = "DURATION" };
        var shell = new Option<string?>("--shell") { Description = "sh (default on Linux/macOS), cmd (default on Windows), pwsh, or none (no shell, argv split)." };
        var cwd = new Option<string?>("--cwd", "--working-directory") { Description = "Where the command runs; relative paths are resolved against the current directory.", HelpName = "DIR" };
        var env = new Option<string[]>("--env", "-e") { Description = "An extra environment variable for the command (repeatable).", HelpName = "NAME=VALUE" };
        var skipExisting = new Option<bool>("--skip-existing") { Description = "Skip jobs whose id already exists instead of refusing the whole request." };
        Option[] jobOptions = [id, maxRetries, timeout, priority, queue, runAt, delay, shell, cwd, env];

        var enqueue = new Command("enqueue", "Add jobs to the queue.") { command, file, skipExisting, Common.Json };
        foreach (var option in jobOptions) enqueue.Add(option);
        enqueue.Aliases.Add("add");

        enqueue.SetHandler(parse =>
        {
            var words = parse.GetValue(command) ?? [];
            var filePath = parse.GetValue(file);
            var given = jobOptions.Where(o => parse.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
            var here = Directory.GetCurrentDirectory();

            IEnumerable<JobInput> jobs;
            string source;
            CollectionPause? pause = null;
            if (filePath is not null || words is ["-"] || (words.Length == 1 && LooksLikeJson(words[0])))
            {
                if (filePath is not null && words.Length > 0)
                    throw InputError.Invalid("AmbiguousInput", $"Give either --file or a command, not both (also got {InputError.Quote(string.Join(' ', words))}).");
                if (given.Count > 0)
                    throw InputError.Invalid("OptionsWithJson",
                        $"{string.Join(", ", given)} apply to a plain command. With JSON input, set the job's fields instead: {string.Join(", ", JobJsonReader.Fields)}.");
                (var bytes, source) = ReadInput(filePath ?? (words is ["-"] ? "-" : null), words);
                jobs = JobJsonReader.Read(bytes, source, here);
                pause = CollectionPause.For(bytes.Length);
            }
            else
            {
                RefuseUnknownOptions(parse);
                if (words.Length == 0)
                    throw InputError.Invalid("EmptyCommand", "Nothing to enqueue. Give a command (queuectl enqueue \"echo hi\"), a JSON job, or --file jobs.jsonl.");
                source = PlainSource;
                jobs = [new JobInput(PlainSpec(parse, words, here, id, maxRetries, timeout, priority, queue, runAt, delay, shell, cwd, env), 1)];
            }

            var duplicates = parse.GetValue(skipExisting) ? DuplicatePolicy.Skip : DuplicatePolicy.Fail;
            EnqueueResult result;
            using (pause)
            using (var jobQueue = Common.OpenQueue(parse))
            {
                result = Write(jobQueue, jobs, source, duplicates);
            }

            if (parse.GetValue(Common.Json))
                JsonOutput.Write(new EnqueueJson(result.Added, result.Skipped));
            else
            {
                if (result.Added.Count <= 20) foreach (var added in result.Added) Console.WriteLine($"enqueued {added}");
                else Console.WriteLine($"enqueued {result.Added.Count} jobs ({result.Added[0]} ... {result.Added[^1]})");
                if (result.Skipped.Count <= 20) foreach (var skipped in result.Skipped) Console.WriteLine($"skipped {skipped} (already exists)");
                else Console.WriteLine($"skipped {result.Skipped.Count} jobs whose ids already exist");
            }
            return 0;
        });
        return enqueue;
    }

    /// <summary>
    /// Writes the jobs in one transaction; a refused job is named by its line. Jobs read from JSON
    /// are written as they are read (<see cref="JobQueue.EnqueueStreamed"/>). An id given twice in
    /// the input is refused and nothing is written (in the database the second would be skipped or
    /// refused as a job that exists), unless a job before the second one is itself refused.
    /// </summary>
    private static EnqueueResult Write(JobQueue queue, IEnumerable<JobInput> jobs, string source, DuplicatePolicy duplicates)
    {
        // JSON input: messages name its source and line, and its jobs are written as they are read.
        var fromJson = source != PlainSource;
        string Where(int line) => fromJson ? $"{source}, line {line}: " : "";
        // Filled as the jobs are read (on the queue's reading thread); read here only once the write is over.
        var lines = new List<int>();                                           // each job's line, by position
        var firstLines = new Dictionary<string, int>(StringComparer.Ordinal);  // each given id's first line

        IEnumerable<JobSpec> Specs()
        {
            foreach (var job in jobs)
            {
                if (job.Spec.Id is { } id && !firstLines.TryAdd(id, job.Line))
                {
                    // The first problem in the input's order is the one to report. The jobs before this
                    // one have been checked by now; check this one too.
                    try { queue.Validate(job.Spec); }
                    catch (QueueException e) { throw Located(e, Where(job.Line)); }
                    throw InputError.Invalid("DuplicateJobId", $"{source}, line {job.Line}: id '{id}' is already used on line {firstLines[id]}; ids must be unique. Nothing was enqueued.", id);
                }
                lines.Add(job.Line);
                yield return job.Spec;
            }
        }

        try
        {
            return fromJson ? queue.EnqueueStreamed(Specs(), duplicates) : queue.EnqueueMany(Specs(), duplicates);
        }
        catch (QueueException e) when (e.ItemIndex is int index && index < lines.Count)
        {
            throw Located(e, Where(lines[index]));
        }
        catch (QueueException e) when (e.Kind == QueueErrorKind.Conflict && e.ErrorId == "DuplicateJobId"
                                       && e.Target is string id && firstLines.TryGetValue(id, out var line) && fromJson)
        {
            throw new QueueException(e.Kind, e.ErrorId, $"{source}, line {line}: {e.Message}", e.Target, e);
        }
    }

    private static QueueException Located(QueueException e, string where) => new(e.Kind, e.ErrorId, where + e.Message, e.Target, e);

    private static (byte[] Bytes, string Source) ReadInput(string? path, string[] words)
    {
        if (path is null) return (System.Text.Encoding.UTF8.GetBytes(words[0]), JobJsonReader.ArgumentSource);
        if (path == "-")
        {
            using var stdin = Console.OpenStandardInput();
            using var buffer = new MemoryStream();
            stdin.CopyTo(buffer);
            return (buffer.ToArray(), "standard input");
        }
        try { return (File.ReadAllBytes(path), path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var reason = e is FileNotFoundException or DirectoryNotFoundException ? "there is no such file" : e.Message;
            throw InputError.Invalid("CannotReadFile", $"Cannot read jobs from {InputError.Quote(path)}: {reason}.", path);
        }
    }

    private static JobSpec PlainSpec(ParseResult parse, string[] words, string here,
        Option<string?> id, Option<string?> maxRetries, Option<string?> timeout, Option<string?> priority, Option<string?> queue,
        Option<string?> runAt, Option<string?> delay, Option<string?> shell, Option<string?> cwd, Option<string[]> env)
    {
        var spec = new JobSpec
        {
            Command = words.Length == 1 ? words[0] : string.Join(' ', words.Select(QuoteWord)),
            Id = parse.GetValue(id),
            Queue = parse.GetValue(queue),
            // Ranges are Core's rule; here only "is it a number" is checked.
            MaxRetries = Common.Integer(parse.GetValue(maxRetries), "--max-retries", int.MinValue, int.MaxValue),
            TimeoutSec = Common.Integer(parse.GetValue(timeout), "--timeout", int.MinValue, int.MaxValue),
            Priority = Common.Integer(parse.GetValue(priority), "--priority", int.MinValue, int.MaxValue) ?? 0,
        };
        if (parse.GetValue(runAt) is { } at) spec.RunAt = TimeInput.ParseInstant(at, "--run-at");
        if (parse.GetValue(delay) is { } wait) spec.Delay = TimeInput.ParseDuration(wait, "--delay");
        if (parse.GetValue(shell) is { } name)
            spec.Shell = name.ToLowerInvariant() switch
            {
                "sh" => JobShell.Sh, "cmd" => JobShell.Cmd, "pwsh" => JobShell.Pwsh, "none" => JobShell.None,
                _ => throw InputError.Invalid("InvalidShell", $"--shell {InputError.Quote(name)} is not a shell; use sh, cmd, pwsh or none.", name),
            };
        if (parse.GetValue(cwd) is { } directory)
            spec.WorkingDirectory = directory.Length == 0
                ? throw InputError.Invalid("InvalidWorkingDirectory", "--cwd is empty; give a directory.")
                : Path.GetFullPath(directory, here);
        var variables = parse.GetValue(env) ?? [];
        if (variables.Length > 0)
        {
            var environment = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in variables)
            {
                var eq = pair.IndexOf('=');
                if (eq <= 0)
                    throw InputError.Invalid("InvalidEnvironment", $"--env {InputError.Quote(pair)} is not NAME=VALUE.", pair);
                if (!environment.TryAdd(pair[..eq], pair[(eq + 1)..]))
                    throw InputError.Invalid("InvalidEnvironment", $"--env sets {pair[..eq]} twice.", pair);
            }
            spec.Environment = environment;
        }
        return spec;
    }

    /// <summary>
    /// Words after the verb that look like options but are not ours (a typo such as --max-retry)
    /// are refused rather than silently becoming part of the command; after "--" anything goes.
    /// </summary>
    private static void RefuseUnknownOptions(ParseResult parse)
    {
        foreach (var token in parse.Tokens)
        {
            if (token.Type == TokenType.DoubleDash) return;
            if (token.Type == TokenType.Argument && token.Value.Length > 1 && token.Value[0] == '-' && !char.IsDigit(token.Value[1]))
                throw InputError.Invalid("UnknownOption",
                    $"Unknown option {InputError.Quote(token.Value)} for enqueue. If it belongs to the job's command, quote the whole command (queuectl enqueue \"ls -la\") or put it after --. See 'queuectl enqueue --help'.", token.Value);
        }
    }

    /// <summary>
    /// A JSON job starts with {" or [{ (or is an empty {} or []); a shell command may start with
    /// "{ " (a group: { make; make install; }) or "[ " (a test: [ -f x ] &amp;&amp; ...), which stay commands.
    /// </summary>
    private static bool LooksLikeJson(string word)
    {
        var text = word.AsSpan().Trim();
        if (text is "null") return true; // no one's command: a JSON value that is not a job
        if (text.Length == 0 || text[0] is not ('{' or '[')) return false;
        // sh needs a blank after "{" (a group) and after "[" (a test); JSON does not.
        if (text.Length == 1 || !char.IsWhiteSpace(text[1])) return true;
        var next = text[1..].TrimStart();
        return next.Length == 0 || (text[0] == '{' ? next[0] is '"' or '}' : next[0] is '{' or ']' or '"');
    }

    /// <summary>Joins separate words into one sh command line, quoting words that need it.</summary>
    private static string QuoteWord(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=@%+,".Contains(c))
            ? word : "'" + word.Replace("'", "'\\''") + "'";
}
