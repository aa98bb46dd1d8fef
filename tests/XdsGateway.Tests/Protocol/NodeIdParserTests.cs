using Envoy.Config.Core.V3;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Model.Translation;
using Mesh.XdsGateway.Protocol;

namespace Mesh.XdsGateway.Tests.Protocol;

[Trait("Category", "BVT")]
public class NodeIdParserTests
{
    private const string SidecarId = "sidecar~10.1.2.3~reviews-v1-545db77b95-xk2lm.bookinfo~bookinfo.svc.cluster.local";

    private static Node NodeWith(string id, Action<Struct>? metadata = null)
    {
        var node = new Node { Id = id, Metadata = new Struct() };
        metadata?.Invoke(node.Metadata);
        return node;
    }

    [Fact]
    public void Parse_IstioSidecarId_ReadsEveryField()
    {
        var node = NodeIdParser.Parse(NodeWith(SidecarId, m =>
        {
            m.Fields["NAMESPACE"] = Value.ForString("bookinfo");
            m.Fields["LABELS"] = Value.ForStruct(new Struct { Fields = { ["app"] = Value.ForString("reviews"), ["version"] = Value.ForString("v1") } });
        }));

        Assert.Equal(SidecarId, node.Id);
        Assert.Equal(ProxyKind.Sidecar, node.Kind);
        Assert.Equal("10.1.2.3", node.IpAddress);
        Assert.Equal("reviews-v1-545db77b95-xk2lm", node.PodName);
        Assert.Equal("bookinfo", node.Namespace);
        Assert.Equal("bookinfo.svc.cluster.local", node.DnsDomain);
        Assert.Equal("reviews-v1", node.WorkloadName);
        Assert.Equal(["app", "version"], node.Labels.Keys);
        Assert.Equal("v1", node.Labels["version"]);
    }

    /// <summary>The user agent of grpcio 1.51 as it sends it (captured from its first request); C-core 29 is gRPC 1.51, which fires route timeouts early.</summary>
    [Theory]
    [InlineData("grpc", "gRPC C-core linux Python", "C-core 29.0.0 Python 1.51.1", ClientQuirks.EarlyRouteTimeouts | ClientQuirks.Grpc)]
    [InlineData("grpc", "gRPC C-core linux Python", "C-core 30.1.0 Python 1.52.0", ClientQuirks.Grpc)]
    [InlineData("grpc", "gRPC Node Pure JS", "1.14.7", ClientQuirks.Grpc)]
    [InlineData(null, "gRPC C-core linux Python", "C-core 29.0.0 Python 1.51.1", ClientQuirks.None)] // an Envoy is never adapted
    [InlineData("grpc", "", "", ClientQuirks.Grpc)]
    public void Parse_UserAgent_IsKept_AndQuirksFollowTheClientVersion_G01(string? generator, string name, string version, ClientQuirks quirks)
    {
        var node = NodeWith(SidecarId, m =>
        {
            if (generator is not null)
            {
                m.Fields["GENERATOR"] = Value.ForString(generator);
            }
        });
        node.UserAgentName = name;
        node.UserAgentVersion = version;

        var parsed = NodeIdParser.Parse(node);

        Assert.Equal(name, parsed.UserAgentName);
        Assert.Equal(version, parsed.UserAgentVersion);
        Assert.Equal(quirks, parsed.Quirks);
    }

    [Fact]
    public void Parse_RouterId_IsRouter()
    {
        var node = NodeIdParser.Parse(NodeWith("router~10.0.0.9~istio-ingressgateway-6c8b9d-abcde.istio-system~istio-system.svc.cluster.local"));

        Assert.Equal(ProxyKind.Router, node.Kind);
        Assert.Equal("istio-ingressgateway", node.WorkloadName);
    }

    [Fact]
    public void Parse_GrpcGenerator_IsProxylessWithExplicitWorkload_G01()
    {
        var node = NodeIdParser.Parse(NodeWith("sidecar~fd00::1~client.default~default.svc.cluster.local", m =>
        {
            m.Fields["GENERATOR"] = Value.ForString("grpc");
            m.Fields["WORKLOAD_NAME"] = Value.ForString("client-app");
        }));

        Assert.Equal(ProxyKind.Proxyless, node.Kind);
        Assert.Equal("fd00::1", node.IpAddress);
        Assert.Equal("client-app", node.WorkloadName);
    }

    [Theory]
    [InlineData("reviews-v1-545db77b95-xk2lm", "reviews-v1")]
    [InlineData("client", "client")]
    [InlineData("one-two", "one-two")]
    [InlineData("a-b-c", "a")]
    public void WorkloadFromPod_DropsLastTwoSegmentsWhenPresent(string pod, string workload) =>
        Assert.Equal(workload, NodeIdParser.WorkloadFromPod(pod));

    [Theory]
    [InlineData("foo", "node id 'foo' is malformed: expected TYPE~IP~POD.NAMESPACE~NAMESPACE.svc.DOMAIN (4 fields separated by '~'), got 1")]
    [InlineData("waypoint~10.0.0.1~p.ns~ns.svc.cluster.local", "type 'waypoint' must be 'sidecar' or 'router'")]
    [InlineData("sidecar~not-an-ip~p.ns~ns.svc.cluster.local", "'not-an-ip' is not an IP address")]
    [InlineData("sidecar~10.0.0.1~podonly~ns.svc.cluster.local", "third field 'podonly' must be POD.NAMESPACE")]
    [InlineData("sidecar~10.0.0.1~p.ns~other.svc.cluster.local", "fourth field 'other.svc.cluster.local' must be ns.svc.DOMAIN")]
    public void Parse_MalformedId_IsInvalidArgumentWithReason(string id, string reason)
    {
        var ex = Assert.Throws<RpcException>(() => NodeIdParser.Parse(NodeWith(id)));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains(reason, ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MissingNode_IsInvalidArgument_X03()
    {
        var ex = Assert.Throws<RpcException>(() => NodeIdParser.Parse(null));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("must carry node", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NamespaceMetadataDisagreesWithId_IsInvalidArgument()
    {
        var ex = Assert.Throws<RpcException>(() => NodeIdParser.Parse(NodeWith(SidecarId, m => m.Fields["NAMESPACE"] = Value.ForString("payments"))));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("NAMESPACE 'payments' disagrees with namespace 'bookinfo'", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NonStringLabel_IsInvalidArgument()
    {
        var ex = Assert.Throws<RpcException>(() => NodeIdParser.Parse(NodeWith(SidecarId, m =>
            m.Fields["LABELS"] = Value.ForStruct(new Struct { Fields = { ["replicas"] = Value.ForNumber(3) } }))));

        Assert.Contains("LABELS['replicas'] must be a string", ex.Status.Detail, StringComparison.Ordinal);
    }
}
