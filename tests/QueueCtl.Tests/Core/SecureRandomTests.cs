using QueueCtl.Core.Jobs;
using QueueCtl.Tests.Support;

namespace QueueCtl.Tests.Core;

public class SecureRandomTests
{
    [Fact]
    public void Fills_every_byte_of_large_and_odd_sized_buffers_evenly()
    {
        // 1 MiB + 7: larger than one getrandom call is guaranteed to return, and not a multiple of anything.
        var bytes = new byte[(1 << 20) + 7];
        SecureRandom.Fill(bytes);
        var counts = new int[256];
        foreach (var b in bytes) counts[b]++;
        var expected = bytes.Length / 256.0; // ~4,096 each, standard deviation ~64
        Assert.All(counts, c => Assert.InRange(c, expected * 0.8, expected * 1.2));
        // The tail is filled too (all 64 last bytes zero: probability 2^-512).
        Assert.Contains(bytes[^64..], b => b != 0);
    }

    [Fact]
    public void Two_fills_differ_and_an_empty_buffer_is_fine()
    {
        var a = new byte[32];
        var b = new byte[32];
        SecureRandom.Fill(a);
        SecureRandom.Fill(b);
        Assert.NotEqual(a, b);
        SecureRandom.Fill(Span<byte>.Empty);
    }

    [Fact]
    public void A_plain_enqueue_process_never_loads_OpenSSL()
    {
        // RandomNumberGenerator loads libssl/libcrypto on Linux (~10 ms of a queuectl process); ids and
        // lease tokens come from getrandom instead. glibc's loader logs every library it maps.
        using var temp = new TempQueue();
        var log = temp.File("ld");
        var result = CliRunner.Run(null, new Dictionary<string, string?> { ["LD_DEBUG"] = "libs", ["LD_DEBUG_OUTPUT"] = log },
            TimeSpan.FromSeconds(60), "enqueue", "echo hi", "--db", temp.DatabasePath);
        Assert.True(result.ExitCode == 0, result.ToString());
        var loaded = string.Join('\n', Directory.GetFiles(temp.Folder, "ld.*").Select(File.ReadAllText));
        Assert.Contains("libc.so.6", loaded); // the log is real: the C library is in it
        Assert.DoesNotContain("libssl", loaded);
        Assert.DoesNotContain("libcrypto", loaded);
    }
}
