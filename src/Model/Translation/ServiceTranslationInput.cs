using System.Collections.Immutable;
using Mesh.Model.Config;
using Mesh.Model.Services;

namespace Mesh.Model.Translation;

/// <summary>
/// Everything a service's resources depend on, and nothing else: the cache key of the ServiceGrain's
/// build. <see cref="VirtualServices"/> are those that apply to sidecars for this host, already sorted
/// by (namespace, name); their http routes are merged in that order.
/// </summary>
public sealed record ServiceTranslationInput(
    MeshService Service,
    ImmutableArray<ServiceEndpoint> Endpoints,
    DestinationRule? DestinationRule,
    ImmutableArray<VirtualService> VirtualServices,
    MeshSettings Settings);
