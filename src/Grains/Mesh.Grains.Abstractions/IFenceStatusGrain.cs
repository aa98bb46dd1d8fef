using System.Collections.Immutable;
using Orleans.Concurrency;

namespace Mesh.Grains;

/// <summary>
/// The fences whose hosts' statuses changed since the ingest last took them: what it writes back to
/// Kubernetes (a ServiceFence's <c>status.domains</c>, as Slime does). One grain, key
/// <see cref="Key"/>; a fence grain marks itself when a host is learned, changes status or expires.
/// In memory only: an ingest starting a term sweeps every fence it reads from Kubernetes, so a
/// mark lost with a silo costs nothing but a later write.
/// </summary>
[Alias("mesh.IFenceStatusGrain")]
public interface IFenceStatusGrain : IGrainWithStringKey
{
    public const string Key = "all";

    /// <summary>Marks a fence (<c>NAMESPACE/SERVICE</c>) as changed; once until taken.</summary>
    [OneWay, Alias("Mark")]
    Task MarkAsync(string fence);

    /// <summary>At most <paramref name="max"/> marked fences, oldest mark first, unmarking them.</summary>
    [Alias("Take")]
    Task<ImmutableArray<string>> TakeAsync(int max);
}
