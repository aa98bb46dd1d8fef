namespace Mesh.XdsGateway.Tests;

/// <summary>
/// Tests that measure the process's managed memory run alone: other tests' allocations would
/// otherwise show up in their numbers.
/// </summary>
[CollectionDefinition(nameof(MemoryMeasured), DisableParallelization = true)]
public sealed class MemoryMeasured;
