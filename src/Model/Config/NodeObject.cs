using System.Collections.Immutable;
using Mesh.Model.Services;

namespace Mesh.Model.Config;

/// <summary>
/// A Kubernetes <c>v1 Node</c>, reduced to what endpoint locality needs: its name and its
/// topology labels (<see cref="LocalityLabels"/>; every other label, and all status, is dropped).
/// </summary>
public sealed record NodeObject(ObjectMeta Meta) : ConfigObject(Meta)
{
    public const string RegionLabel = "topology.kubernetes.io/region";
    public const string ZoneLabel = "topology.kubernetes.io/zone";
    public const string SubZoneLabel = "topology.istio.io/subzone";

    /// <summary>The labels a Node's locality is read from (Istio's pilot kube controller).</summary>
    public static readonly ImmutableArray<string> LocalityLabels = [RegionLabel, ZoneLabel, SubZoneLabel];

    public override ConfigKind Kind => ConfigKind.Node;

    /// <summary>Region, zone and sub-zone from the topology labels (empty where a label is absent).</summary>
    public Locality Locality => new(Label(RegionLabel), Label(ZoneLabel), Label(SubZoneLabel));

    private string Label(string key) => Meta.Labels.GetValueOrDefault(key) ?? "";
}
