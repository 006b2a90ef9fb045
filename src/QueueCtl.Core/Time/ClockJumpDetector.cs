using System.Diagnostics;
using System.Runtime.InteropServices;

namespace QueueCtl.Core.Time;

/// <summary>
/// Notices when the wall clock jumps (set by hand, NTP stepping it, a VM restored): between two
/// checks, the wall clock should advance as much as a clock that nothing can set. The reference
/// counts time spent suspended (CLOCK_BOOTTIME on Linux), so a laptop waking from sleep is not
/// taken for a jump.
/// </summary>
internal sealed partial class ClockJumpDetector
{
    private readonly IClock _wall;
    private readonly TimeSpan _threshold;
    private readonly object _gate = new();
    private DateTimeOffset _lastWall;
    private TimeSpan _lastSteady;

    public ClockJumpDetector(IClock wall, TimeSpan? threshold = null)
    {
        _wall = wall;
        _threshold = threshold ?? TimeSpan.FromSeconds(2);
        _lastWall = wall.UtcNow;
        _lastSteady = Steady();
    }

    /// <summary>How far the wall clock jumped since the last check, if further than the threshold.</summary>
    public TimeSpan? Check()
    {
        lock (_gate)
        {
            var wall = _wall.UtcNow;
            var steady = Steady();
            var jump = (wall - _lastWall) - (steady - _lastSteady);
            _lastWall = wall;
            _lastSteady = steady;
            return jump.Duration() > _threshold ? jump : null;
        }
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
