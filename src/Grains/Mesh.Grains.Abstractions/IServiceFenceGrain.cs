using Mesh.Grains.Dtos;
using System.Collections.Immutable;

namespace Mesh.Grains;

/// <summary>
/// What one fenced Service's workloads were seen to call (Slime's unit: one ServiceFence per
/// Service). Key: <c>NAMESPACE/SERVICE</c> (<see cref="Keys.FenceKey"/>). Learned hosts are grain
/// state (Redis in distributed mode): a silo kill or a full restart loses none. A new host goes to
/// the namespace grain at once, which rebuilds exactly the scopes of this fence; nothing waits for
/// the ingest.
/// </summary>
[Alias("mesh.IServiceFenceGrain")]
public interface IServiceFenceGrain : IGrainWithStringKey
{
    /// <summary>Adds <paramref name="hosts"/> (FQDNs, already validated) learned by <paramref name="source"/>; returns the hosts that were new.</summary>
    [Alias("Learn")]
    Task<ImmutableArray<string>> LearnAsync(ImmutableArray<string> hosts, string source);

    /// <summary>Hands the learned hosts to the namespace grain again (it (re)activated: it persists only which fences have hosts).</summary>
    [Alias("Republish")]
    Task RepublishAsync();

    /// <summary>The learned hosts, with their source and when they were first and last seen.</summary>
    [Alias("Get")]
    Task<ImmutableArray<LearnedHost>> GetAsync();
}
