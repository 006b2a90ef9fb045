using System.Buffers;
using QueueCtl.Core.Errors;

namespace QueueCtl.Core.Jobs;

/// <summary>Job ids: validation of given ones, and generation of time-sortable ones.</summary>
public static class JobId
{
    public const int MaxLength = 128;
    // Crockford base32: no I, L, O, U, so generated ids never read ambiguously.
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    /// <summary>The characters of ids and queue names: A-Z a-z 0-9 . _ : -</summary>
    internal static readonly SearchValues<char> NameCharacters =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-");

    public static bool IsValid(string? id) => Describe(id) is null;

    /// <summary>Throws a QueueException naming what is wrong with the id.</summary>
    public static string Validate(string? id)
    {
        var problem = Describe(id);
        if (problem is not null)
            throw QueueException.Invalid("InvalidJobId", $"Job id {Quote(id)} is not valid: {problem}. Ids are 1-{MaxLength} characters of A-Z a-z 0-9 . _ : -", id);
        return id!;
    }

    private static string? Describe(string? id)
    {
        if (string.IsNullOrEmpty(id)) return "it is empty";
        if (id.Length > MaxLength) return $"it is {id.Length} characters long";
        var bad = id.AsSpan().IndexOfAnyExcept(NameCharacters);
        if (bad < 0) return null;
        var c = id[bad];
        return char.IsControl(c) ? $"it contains the control character U+{(int)c:X4}" : $"it contains '{c}'";
    }

    internal static string Quote(string? value)
    {
        if (value is null) return "(none)";
        var shown = value.Length > 40 ? value[..40] + "..." : value;
        var sb = new System.Text.StringBuilder("'");
        foreach (var c in shown) sb.Append(char.IsControl(c) ? $"\\u{(int)c:X4}" : c);
        return sb.Append('\'').ToString();
    }

    // Secure random bytes are drawn 4 KiB at a time (one system call per ~400 ids instead of one per id).
    [ThreadStatic] private static byte[]? t_random;
    [ThreadStatic] private static int t_randomUsed;

    private static ReadOnlySpan<byte> NextRandom()
    {
        var pool = t_random ??= new byte[4000];
        if (t_randomUsed == 0 || t_randomUsed + 10 > pool.Length)
        {
            SecureRandom.Fill(pool);
            t_randomUsed = 0;
        }
        var slice = pool.AsSpan(t_randomUsed, 10);
        t_randomUsed += 10;
        return slice;
    }

    // The last id this thread made: ids made within one millisecond continue from it (see New).
    [ThreadStatic] private static ulong t_lastMs;
    [ThreadStatic] private static UInt128 t_lastRandom;
    private static readonly UInt128 RandomMax = (UInt128.One << 80) - 1;

    /// <summary>
    /// A 26-character id: 48 bits of milliseconds then 80 bits that start random, so ids sort by
    /// creation time. Ids a thread makes in the same millisecond (a batch) count up from the first
    /// one's random bits instead of drawing new ones: they then sort in the order they were made, and
    /// the indexes keyed by job id (the jobs' own, the attempts') grow at one end instead of at random
    /// places, which keeps a large history from slowing every claim. Other processes and threads start
    /// from their own random bits.
    /// </summary>
    public static string New(DateTimeOffset now)
    {
        var ms = (ulong)Math.Max(0, now.ToUnixTimeMilliseconds());
        UInt128 bits;
        if (ms == t_lastMs && t_lastRandom < RandomMax)
        {
            bits = t_lastRandom + 1;
        }
        else
        {
            // A new millisecond, a clock that went back, or a count that reached the top of its
            // 80 bits: fresh random bits.
            bits = 0;
            foreach (var b in NextRandom()) bits = (bits << 8) | b;
        }
        t_lastMs = ms;
        t_lastRandom = bits;

        Span<char> chars = stackalloc char[26];
        for (var i = 9; i >= 0; i--) { chars[i] = Alphabet[(int)(ms & 31)]; ms >>= 5; }
        // 80 bits = 16 base32 characters.
        for (var i = 25; i >= 10; i--) { chars[i] = Alphabet[(int)(bits & 31)]; bits >>= 5; }
        return new string(chars);
    }
}
