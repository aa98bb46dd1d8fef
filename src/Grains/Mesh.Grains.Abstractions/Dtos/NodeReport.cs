namespace Mesh.Grains.Dtos;

/// <summary>One node's report in a shard's batch (see <see cref="IProxyStatusGrain.ReportAsync"/>).</summary>
[GenerateSerializer, Immutable, Alias("mesh.NodeReport")]
public sealed record NodeReport(
    [property: Id(0)] string NodeId,
    [property: Id(1)] ProxyReport Report);
