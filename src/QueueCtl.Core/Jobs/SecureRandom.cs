using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace QueueCtl.Core.Jobs;

/// <summary>
/// Cryptographically secure random bytes (job ids, lease tokens). On Linux they come straight from
/// the kernel's getrandom: .NET's RandomNumberGenerator loads OpenSSL on its first use there, about
/// 10 ms of every short queuectl process that makes an id. Elsewhere, and on kernels or C
/// libraries without getrandom, RandomNumberGenerator.
/// </summary>
internal static partial class SecureRandom
{
    private const int EINTR = 4;
    private static bool s_kernelUnavailable = !OperatingSystem.IsLinux();

    public static void Fill(Span<byte> buffer)
    {
        while (!buffer.IsEmpty && !s_kernelUnavailable)
        {
            nint read;
            try { read = getrandom(buffer, (nuint)buffer.Length, 0); }
            catch (EntryPointNotFoundException) { s_kernelUnavailable = true; break; } // glibc < 2.25
            if (read > 0) { buffer = buffer[(int)read..]; continue; }
            // Large requests may be cut short by a signal; anything else (ENOSYS before Linux 3.17,
            // a seccomp filter) means this process cannot use it.
            if (Marshal.GetLastPInvokeError() != EINTR) s_kernelUnavailable = true;
        }
        if (!buffer.IsEmpty) RandomNumberGenerator.Fill(buffer);
    }

    // Flags 0: the urandom source, blocking only until the kernel's pool was first seeded at boot.
    [LibraryImport("libc", SetLastError = true)] private static partial nint getrandom(Span<byte> buffer, nuint length, uint flags);
}
