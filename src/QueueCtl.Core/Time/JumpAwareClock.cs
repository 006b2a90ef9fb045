using System.Diagnostics;
using System.Runtime.InteropServices;

namespace QueueCtl.Core.Time;

/// <summary>
/// A wall clock that notices when it jumps (set by hand, NTP stepping it, a VM restored): between
/// two readings the wall clock should advance as much as a clock that nothing can set. The
/// reference counts time spent suspended (CLOCK_BOOTTIME on Linux), so a laptop waking from
/// sleep is not taken for a jump.
/// Once a jump is seen, and until <see cref="Accept"/> is called, <see cref="UtcNow"/> keeps
/// counting on from where the wall clock was: the database still holds times measured before the
/// jump, and a time read in between (by a claim, say) must agree with them, not with the new wall.
/// </summary>
internal sealed partial class JumpAwareClock : IClock
{
    private readonly IClock _wall;
    private readonly TimeSpan _threshold;
    private readonly object _gate = new();
    private DateTimeOffset _baseWall;
    private TimeSpan _baseSteady;

    public JumpAwareClock(IClock wall, TimeSpan? threshold = null)
    {
        _wall = wall;
        _threshold = threshold ?? TimeSpan.FromSeconds(2);
        _baseWall = wall.UtcNow;
        _baseSteady = Steady();
    }

    /// <summary>The wall clock while it runs smoothly; the steady continuation of it while a jump is pending.</summary>
    public DateTimeOffset UtcNow
    {
        get
        {
            lock (_gate)
            {
                var (wall, steady, jump) = Read();
                if (jump is not null) return _baseWall + (steady - _baseSteady);
                // Small drifts (NTP slewing) are followed: the reference moves with every smooth reading.
                _baseWall = wall;
                _baseSteady = steady;
                return wall;
            }
        }
    }

    /// <summary>How far the wall clock has jumped since it was last followed, if further than the threshold.</summary>
    public TimeSpan? PendingJump
    {
        get { lock (_gate) return Read().Jump; }
    }

    /// <summary>Follows the wall clock again, jump included (once the database has been shifted to match it).</summary>
    public void Accept()
    {
        lock (_gate)
        {
            _baseWall = _wall.UtcNow;
            _baseSteady = Steady();
        }
    }

    private (DateTimeOffset Wall, TimeSpan Steady, TimeSpan? Jump) Read()
    {
        var wall = _wall.UtcNow;
        var steady = Steady();
        var jump = (wall - _baseWall) - (steady - _baseSteady);
        return (wall, steady, jump.Duration() > _threshold ? jump : null);
    }

    private static TimeSpan Steady()
    {
        if (OperatingSystem.IsLinux() && ClockGetTime(ClockBootTime, out var spec) == 0)
            return TimeSpan.FromTicks(spec.Seconds * TimeSpan.TicksPerSecond + spec.Nanoseconds / 100);
        return Stopwatch.GetElapsedTime(0);
    }

    private const int ClockBootTime = 7;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);
}
