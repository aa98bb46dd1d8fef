using System.Collections.Immutable;

namespace Mesh.Model.Config;

/// <summary>An Istio <c>Sidecar</c>: the egress hosts (<c>namespace/host</c>) a workload may reach.</summary>
public sealed record Sidecar(ObjectMeta Meta, WorkloadSelector? WorkloadSelector, ImmutableArray<SidecarEgress> Egress) : ConfigObject(Meta)
{
    public override ConfigKind Kind => ConfigKind.Sidecar;

    /// <summary>
    /// <c>outboundTrafficPolicy.mode</c>: true for <c>ALLOW_ANY</c> (unknown destinations pass
    /// through), false for <c>REGISTRY_ONLY</c> (they go to the BlackHoleCluster); null keeps the mesh's.
    /// </summary>
    public bool? AllowAnyOutbound { get; init; }
}

/// <summary>One egress listener of a Sidecar: optional port and its <c>hosts</c> in <c>namespace/dnsName</c> form.</summary>
public sealed record SidecarEgress(int? Port, ImmutableArray<string> Hosts);
