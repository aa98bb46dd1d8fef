using Envoy.Config.Route.V3;

namespace Mesh.EndToEnd.Tests.Harness;

/// <summary>
/// The rollout tests' mesh: namespace <c>shop</c> with reviews (subsets v1 and v2 by the
/// <c>version</c> label) and web, and a VirtualService splitting reviews' traffic between v1 and v2.
/// </summary>
internal static class ReviewsMesh
{
    public const string Host = "reviews.shop.svc.cluster.local";

    public const string Services = """
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: shop}
        spec: {clusterIP: 10.96.1.1, selector: {app: reviews}, ports: [{name: http, port: 80, targetPort: 8080}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: shop}
        spec: {clusterIP: 10.96.1.2, selector: {app: web}, ports: [{name: http, port: 80, targetPort: 8080}]}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews, namespace: shop}
        spec:
          host: reviews.shop.svc.cluster.local
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        """;

    public static string Split(int v1, int v2) => $$"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews, namespace: shop}
        spec:
          hosts: [reviews.shop.svc.cluster.local]
          http:
          - route:
            - {destination: {host: reviews.shop.svc.cluster.local, subset: v1}, weight: {{v1}}}
            - {destination: {host: reviews.shop.svc.cluster.local, subset: v2}, weight: {{v2}}}
        """;

    /// <summary>The weight of subset v1 in a route configuration's route to reviews; -1 when it has none.</summary>
    public static int WeightOfV1(byte[] routeConfiguration)
    {
        var route = RouteConfiguration.Parser.ParseFrom(routeConfiguration);
        var weighted = route.VirtualHosts.FirstOrDefault(v => v.Domains.Contains(Host))?.Routes.FirstOrDefault()?.Route_?.WeightedClusters;
        return (int?)weighted?.Clusters.FirstOrDefault(c => c.Name.Contains("|v1|", StringComparison.Ordinal))?.Weight ?? -1;
    }
}
