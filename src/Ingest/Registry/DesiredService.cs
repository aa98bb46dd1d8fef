using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Mesh.Model.Services;
using Mesh.Model.Translation;

namespace Mesh.Ingest.Registry;

/// <summary>One service's desired grain inputs; <paramref name="Policy"/>: the RolloutPolicy that governs a change of its routing (null: applied at once).</summary>
public sealed record DesiredService(MeshService Definition, ImmutableArray<ServiceEndpoint> Endpoints, ServiceRouting Routing, Model.Config.RolloutPolicy? Policy = null)
{
    /// <summary>The input the service's builders take (what its ServiceGrain will build from).</summary>
    public ServiceTranslationInput ToTranslationInput(MeshSettings settings) =>
        new(Definition, Endpoints, Routing.DestinationRule, Routing.VirtualServices, settings);
}
