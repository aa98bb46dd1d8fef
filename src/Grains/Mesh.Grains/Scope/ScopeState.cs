using Mesh.Grains.Dtos;

namespace Mesh.Grains.Scope;

/// <summary>Persisted state of a scope: the identity it serves and its gateways (everything else is re-derived).</summary>
[GenerateSerializer, Alias("mesh.ScopeState")]
public sealed class ScopeState : Catalog.ICatalogBuiltState<ScopeIdentity>
{
    [Id(0)] public ScopeIdentity? Identity { get; set; }

    /// <summary>Subscribed gateways, persisted so an activation on another silo (after a crash) keeps pushing to them.</summary>
    [Id(1)] public System.Collections.Immutable.ImmutableHashSet<IXdsGatewayObserver> Gateways { get; set; } = [];
}
