using Envoy.Config.Core.V3;
using Google.Protobuf.WellKnownTypes;

namespace Mesh.Testing;

/// <summary>Istio-shaped nodes for tests.</summary>
public static class TestNodes
{
    public const string DefaultPod = "reviews-v1-545db77b95-xk2lm";
    public const string DefaultNamespace = "bookinfo";

    /// <summary><c>sidecar~IP~POD.NS~NS.svc.cluster.local</c> with NAMESPACE metadata.</summary>
    public static Node Sidecar(string pod = DefaultPod, string ns = DefaultNamespace, string ip = "10.0.0.1") =>
        WithId($"sidecar~{ip}~{pod}.{ns}~{ns}.svc.cluster.local", ns);

    /// <summary>A node with the given raw id and, if given, NAMESPACE metadata.</summary>
    public static Node WithId(string id, string? ns = null)
    {
        var node = new Node { Id = id, Metadata = new Struct() };
        if (ns is not null)
        {
            node.Metadata.Fields["NAMESPACE"] = Value.ForString(ns);
        }

        return node;
    }
}
