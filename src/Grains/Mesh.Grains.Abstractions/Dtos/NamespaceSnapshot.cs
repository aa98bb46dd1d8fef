using System.Collections.Immutable;

namespace Mesh.Grains.Dtos;

/// <summary>
/// A namespace as the per-silo catalogs hold it: its config and the scope views of the services
/// defined in it (ports, VIPs, cluster names, virtual hosts), the inputs of every scope build.
/// </summary>
[GenerateSerializer, Immutable, Alias("mesh.NamespaceSnapshot")]
public sealed record NamespaceSnapshot(
    [property: Id(0)] NamespaceConfig Config,
    [property: Id(1)] ImmutableArray<ServiceScopeView> Views);
