namespace QueueCtl.Tests.Faults;

/// <summary>
/// How big the fault campaign runs: "ci" (the default, bounded so CI stays fast) or "large"
/// (QUEUECTL_FAULT_SCALE=large, the documented long run whose figures the README quotes).
/// </summary>
public static class FaultScale
{
    public static bool Large { get; } =
        string.Equals(Environment.GetEnvironmentVariable("QUEUECTL_FAULT_SCALE"), "large", StringComparison.OrdinalIgnoreCase);

    public static int Pick(int ci, int large) => Large ? large : ci;
}
