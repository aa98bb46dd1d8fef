using System.Globalization;
using System.Text;

namespace Mesh.EndToEnd.Tests.Harness;

/// <summary>
/// The manifests of the test service <c>echo.e2e.svc.cluster.local:7070</c>: a STATIC
/// ServiceEntry whose endpoints are our local backends, a DestinationRule with subsets v1/v2 by
/// the <c>version</c> label, and a VirtualService splitting traffic between them.
/// </summary>
internal static class EchoMesh
{
    public const string Host = "echo.e2e.svc.cluster.local";
    public const string Namespace = "e2e";
    public const int Port = 7070;
    public const string Target = "xds:///echo.e2e.svc.cluster.local:7070";

    public static string ServiceEntry(params (int Port, string Version)[] endpoints)
    {
        var yaml = new StringBuilder($"""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata:
              name: echo
              namespace: {Namespace}
            spec:
              hosts:
              - {Host}
              location: MESH_INTERNAL
              resolution: STATIC
              ports:
              - number: {Port}
                name: grpc
                protocol: GRPC
              endpoints:

            """);
        foreach (var (port, version) in endpoints)
        {
            yaml.Append("  - address: 127.0.0.1\n")
                .Append(CultureInfo.InvariantCulture, $"    ports:\n      grpc: {port}\n")
                .Append(CultureInfo.InvariantCulture, $"    labels:\n      version: {version}\n");
        }

        return yaml.ToString();
    }

    /// <summary>Writes the echo service: its ServiceEntry over a v1 and a v2 backend port, the DestinationRule and <paramref name="virtualService"/>.</summary>
    public static void WriteTo(TempManifestDir manifests, int v1Port, int v2Port, string virtualService)
    {
        manifests.Write("echo-serviceentry.yaml", ServiceEntry((v1Port, "v1"), (v2Port, "v2")));
        manifests.Write("echo-destinationrule.yaml", DestinationRule());
        manifests.Write("echo-virtualservice.yaml", virtualService);
    }

    public static string DestinationRule() => $"""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: echo
          namespace: {Namespace}
        spec:
          host: {Host}
          subsets:
          - name: v1
            labels:
              version: v1
          - name: v2
            labels:
              version: v2

        """;

    public static string VirtualService(int v1Weight, int v2Weight, string name = "echo") => string.Create(CultureInfo.InvariantCulture, $"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: {name}
          namespace: {Namespace}
        spec:
          hosts:
          - {Host}
          http:
          - route:
            - destination:
                host: {Host}
                subset: v1
              weight: {v1Weight}
            - destination:
                host: {Host}
                subset: v2
              weight: {v2Weight}

        """);

    /// <summary>
    /// A VirtualService whose first http route sends to subset v2 any call with header
    /// <c>x-user</c> exactly <c>jason</c>, or <c>x-group</c> starting with <c>beta</c>, or
    /// <c>x-tier</c> matching the regex <c>gold|platinum</c>; every other call goes to v1.
    /// </summary>
    public static string VirtualServiceByHeaders() => $"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: echo
          namespace: {Namespace}
        spec:
          hosts:
          - {Host}
          http:
          - name: v2-by-header
            match:
            - headers:
                x-user:
                  exact: jason
            - headers:
                x-group:
                  prefix: beta
            - headers:
                x-tier:
                  regex: "gold|platinum"
            route:
            - destination:
                host: {Host}
                subset: v2
          - name: v1-otherwise
            route:
            - destination:
                host: {Host}
                subset: v1

        """;

    /// <summary>A VirtualService whose only fault is an invalid RE2 regex, <c>(</c>.</summary>
    public static string VirtualServiceWithBadRegex(string name) => $"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: {name}
          namespace: {Namespace}
        spec:
          hosts:
          - {Host}
          http:
          - match:
            - uri:
                regex: "("
            route:
            - destination:
                host: {Host}
                subset: v1

        """;
}
