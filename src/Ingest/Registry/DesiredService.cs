using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Mesh.Model.Services;

namespace Mesh.Ingest.Registry;

/// <summary>One service's desired grain inputs.</summary>
public sealed record DesiredService(MeshService Definition, ImmutableArray<ServiceEndpoint> Endpoints, ServiceRouting Routing);
