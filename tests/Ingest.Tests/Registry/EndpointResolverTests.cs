using System.Collections.Immutable;
using Mesh.Ingest.Registry;
using Mesh.Model.Config;
using Mesh.Model.Services;

namespace Mesh.Ingest.Tests.Registry;

/// <summary>
/// Endpoint locality follows Istio's kube controller: the Pod's <c>istio-locality</c> label, else its
/// Node's topology labels; the EndpointSlice zone and the Pod's own topology labels remain as
/// fallbacks, so meshes without Nodes (manifests) resolve as before.
/// </summary>
public sealed class EndpointResolverTests
{
    private static readonly Locality Node = new("eu-west1", "eu-west1-b", "rack-7");

    [Fact]
    public void LocalityOf_IstioLocalityLabel_WinsOverNodeSliceAndPodLabels()
    {
        var pod = Pod(labels: new() { ["istio-locality"] = "us-east1.us-east1-c.rack-1", [NodeObject.ZoneLabel] = "pod-zone" }, node: Node);

        Assert.Equal(new Locality("us-east1", "us-east1-c", "rack-1"), EndpointResolver.LocalityOf(pod, sliceZone: "slice-zone"));
    }

    [Fact]
    public void LocalityOf_IstioLocalityLabelWithRegionOnly_IsThatRegion()
    {
        var pod = Pod(labels: new() { ["istio-locality"] = "us-east1" }, node: Node);

        Assert.Equal(new Locality("us-east1", "", ""), EndpointResolver.LocalityOf(pod));
    }

    [Fact]
    public void LocalityOf_NodeLabels_WinOverSliceZoneAndPodLabels()
    {
        var pod = Pod(labels: new() { [NodeObject.RegionLabel] = "pod-region", [NodeObject.ZoneLabel] = "pod-zone" }, node: Node);

        Assert.Equal(Node, EndpointResolver.LocalityOf(pod, sliceZone: "slice-zone"));
    }

    [Fact]
    public void LocalityOf_NodeWithoutZone_TakesTheSliceZone_ThenThePodLabel()
    {
        var pod = Pod(labels: new() { [NodeObject.ZoneLabel] = "pod-zone" }, node: new Locality("eu-west1", "", ""));

        Assert.Equal(new Locality("eu-west1", "slice-zone", ""), EndpointResolver.LocalityOf(pod, sliceZone: "slice-zone"));
        Assert.Equal(new Locality("eu-west1", "pod-zone", ""), EndpointResolver.LocalityOf(pod, sliceZone: null));
    }

    [Fact]
    public void LocalityOf_NoNode_KeepsThePodLabelsAndSliceZone()
    {
        var pod = Pod(labels: new() { [NodeObject.RegionLabel] = "pod-region", [NodeObject.ZoneLabel] = "pod-zone" }, node: null);

        Assert.Equal(new Locality("pod-region", "slice-zone", ""), EndpointResolver.LocalityOf(pod, sliceZone: "slice-zone"));
        Assert.Equal(new Locality("pod-region", "pod-zone", ""), EndpointResolver.LocalityOf(pod));
        Assert.Equal(Locality.None, EndpointResolver.LocalityOf(Pod(labels: [], node: null)));
    }

    [Fact]
    public void FromSlices_EndpointOfAPodOnANode_HasTheNodesLocality_AndOneWithoutAPodTheSliceZone()
    {
        var pod = Pod(labels: [], node: Node);
        var slice = new EndpointSlice(Meta("a-x", []), "a", "IPv4", [new EndpointSlicePort("http", 8080, "TCP", null)],
        [
            new SliceEndpoint(["10.0.0.1"], true, true, false, new ObjectReference("Pod", "ns", pod.Meta.Name, null), "node-1", "slice-zone"),
            new SliceEndpoint(["10.0.0.2"], true, true, false, null, "node-2", "other-zone"),
        ]);

        var endpoints = EndpointResolver.FromSlices(Service(), [slice], (ns, name) => ns == "ns" && name == pod.Meta.Name ? pod : null);

        Assert.Equal([Node, new Locality("", "other-zone", "")], endpoints.Select(e => e.Locality));
    }

    [Fact]
    public void FromSelectedPods_AndFromPod_UseTheSameRule()
    {
        var onNode = Pod(labels: new() { ["app"] = "a" }, node: Node);
        var labelled = Pod(labels: new() { ["app"] = "a", ["istio-locality"] = "r.z.s" }, node: Node, name: "a-2", ip: "10.0.0.2");

        var selected = EndpointResolver.FromSelectedPods(Service(), [onNode, labelled]);
        var entry = EndpointResolver.FromPod(onNode, [new ServiceEntryPort(80, "HTTP", "http", 8080)]);

        Assert.Equal([Node, new Locality("r", "z", "s")], selected.Select(e => e.Locality));
        Assert.Equal(Node, entry.Locality);
    }

    private static Pod Pod(Dictionary<string, string> labels, Locality? node, string name = "a-1", string ip = "10.0.0.1") =>
        new(Meta(name, labels), ip, "default", node is null ? null : "node-1", "Running", node);

    private static KubeService Service() =>
        new(Meta("a", []), "ClusterIP", "10.96.0.1", ImmutableSortedDictionary<string, string>.Empty.Add("app", "a"),
            [new ServicePort("http", 80, "8080", "TCP", null)]);

    private static ObjectMeta Meta(string name, Dictionary<string, string> labels) =>
        new(name, "ns", labels.ToImmutableSortedDictionary(StringComparer.Ordinal), ImmutableSortedDictionary<string, string>.Empty);
}
