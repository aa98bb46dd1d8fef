using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace Mesh.Deploy.Tests;

/// <summary>
/// deploy/k8s/lazy-egress.yaml: the Envoy that fenced sidecars fall back to is one Mesh recognises as
/// the lazy egress (a router node whose labels the egress Service selects) and can reach (its xDS and
/// access log cluster is the one Mesh's egress config names, pointing at the gateway Service).
/// </summary>
public sealed class LazyEgressManifestTests
{
    // Mesh's defaults (MeshSettings: Lazy:EgressService, Lazy:AccessLogCluster); this project references no src/ project.
    private const string DefaultLazyEgress = "mesh-lazy-egress.mesh-system.svc.cluster.local";
    private const string DefaultAccessLogCluster = "xds-grpc";

    private static (V1Service Service, V1Deployment Deployment, YamlMappingNode Bootstrap) Egress()
    {
        var service = KubernetesManifests.OfType<V1Service>().Single(s => s.Manifest.Name == "mesh-lazy-egress").Object;
        var deployment = KubernetesManifests.OfType<V1Deployment>().Single(d => d.Manifest.Name == "mesh-lazy-egress").Object;
        var config = KubernetesManifests.OfType<V1ConfigMap>().Single(c => c.Manifest.Name == "mesh-lazy-egress").Object;
        var yaml = new YamlStream();
        yaml.Load(new StringReader(config.Data["envoy.yaml"]));
        return (service, deployment, (YamlMappingNode)yaml.Documents[0].RootNode);
    }

    private static YamlNode At(YamlNode node, params string[] path) =>
        path.Aggregate(node, (n, key) => ((YamlMappingNode)n).Children[new YamlScalarNode(key)]);

    [Fact]
    public void Service_IsTheConfiguredEgress_AndServesHttp()
    {
        var (service, _, _) = Egress();

        Assert.Equal(DefaultLazyEgress, $"{service.Metadata.Name}.{service.Metadata.NamespaceProperty}.svc.cluster.local");
        Assert.Contains(service.Spec.Ports, p => p.Name.StartsWith("http", StringComparison.Ordinal)); // Mesh reads the protocol from the port name
    }

    [Fact]
    public void Bootstrap_NodeLabels_AreSelectedByTheEgressService_AndNodeIdIsARouter()
    {
        var (service, deployment, bootstrap) = Egress();

        var labels = ((YamlMappingNode)At(bootstrap, "node", "metadata", "LABELS")).Children
            .ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => ((YamlScalarNode)kv.Value).Value!);
        Assert.True(KubernetesManifests.Selects(service.Spec.Selector, labels), "the egress Service must select the labels the Envoy reports, or Mesh serves it as an ordinary router");
        Assert.True(KubernetesManifests.Selects(service.Spec.Selector, deployment.Spec.Template.Metadata.Labels));
        Assert.Equal(service.Metadata.NamespaceProperty, ((YamlScalarNode)At(bootstrap, "node", "metadata", "NAMESPACE")).Value);
        var args = deployment.Spec.Template.Spec.Containers.Single().Args;
        var node = args[args.IndexOf("--service-node") + 1];
        Assert.StartsWith("router~$(POD_IP)~$(POD_NAME).$(POD_NAMESPACE)~", node, StringComparison.Ordinal);
    }

    [Fact]
    public void Bootstrap_AccessLogCluster_IsTheAdsCluster_AndPointsAtTheGatewayService()
    {
        var (_, _, bootstrap) = Egress();
        var gateway = KubernetesManifests.OfType<V1Service>().Single(s => s.Manifest.Name == "mesh-gateway").Object;

        var cluster = ((YamlSequenceNode)At(bootstrap, "static_resources", "clusters")).Cast<YamlMappingNode>()
            .Single(c => ((YamlScalarNode)At(c, "name")).Value == DefaultAccessLogCluster);
        var address = At(((YamlSequenceNode)At(((YamlSequenceNode)At(cluster, "load_assignment", "endpoints"))[0], "lb_endpoints"))[0], "endpoint", "address", "socket_address");
        Assert.Equal($"{gateway.Metadata.Name}.{gateway.Metadata.NamespaceProperty}.svc.cluster.local", ((YamlScalarNode)At(address, "address")).Value);
        Assert.Contains(gateway.Spec.Ports, p => p.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) == ((YamlScalarNode)At(address, "port_value")).Value);
        var ads = ((YamlSequenceNode)At(bootstrap, "dynamic_resources", "ads_config", "grpc_services"))[0];
        Assert.Equal(DefaultAccessLogCluster, ((YamlScalarNode)At(ads, "envoy_grpc", "cluster_name")).Value);
    }
}
