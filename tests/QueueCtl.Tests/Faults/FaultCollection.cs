namespace QueueCtl.Tests.Faults;

/// <summary>The fault tests drive many processes each: they run one at a time, not beside each other.</summary>
[CollectionDefinition("Faults", DisableParallelization = true)]
public sealed class FaultCollection;
