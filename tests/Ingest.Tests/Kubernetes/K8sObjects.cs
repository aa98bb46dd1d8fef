using System.Globalization;
using System.Text.Json.Nodes;

namespace Mesh.Ingest.Tests.Kubernetes;

/// <summary>Kubernetes and Istio objects as the API server stores them, for the fake API server.</summary>
internal static class K8sObjects
{
    public static JsonObject Namespace(string name, string labels = "{}") => Parse($$$"""
        {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{name}}}","labels":{{{labels}}}}}
        """);

    public static JsonObject Service(string name, string ns, int port = 8080, string portName = "grpc", string selector = """{"app":"x"}""") => Parse($$$"""
        {"apiVersion":"v1","kind":"Service","metadata":{"name":"{{{name}}}","namespace":"{{{ns}}}"},
         "spec":{"type":"ClusterIP","clusterIP":"10.96.0.{{{Math.Abs(name.GetHashCode(StringComparison.Ordinal)) % 250 + 1}}}","selector":{{{selector}}},
                 "ports":[{"name":"{{{portName}}}","port":{{{port}}},"targetPort":{{{port}}},"protocol":"TCP"}]}}
        """);

    public static JsonObject Pod(string name, string ns, string ip, string labels = """{"app":"x"}""", string node = "node-1", string sa = "default") => Parse($$$"""
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"{{{name}}}","namespace":"{{{ns}}}","labels":{{{labels}}}},
         "spec":{"serviceAccountName":"{{{sa}}}","nodeName":"{{{node}}}","containers":[{"name":"app","image":"app:1"}]},
         "status":{"phase":"Running","podIP":"{{{ip}}}","conditions":[{"type":"Ready","status":"True","lastProbeTime":null}]}}
        """);

    /// <summary>An EndpointSlice of <paramref name="service"/>; each endpoint is (ip, pod name, ready).</summary>
    public static JsonObject Slice(string name, string ns, string service, int port, string portName, params (string Ip, string Pod, bool Ready)[] endpoints)
    {
        var eps = string.Join(',', endpoints.Select(e => string.Create(CultureInfo.InvariantCulture, $$$"""
            {"addresses":["{{{e.Ip}}}"],"conditions":{"ready":{{{(e.Ready ? "true" : "false")}}},"serving":{{{(e.Ready ? "true" : "false")}}},"terminating":false},
             "targetRef":{"kind":"Pod","namespace":"{{{ns}}}","name":"{{{e.Pod}}}"},"nodeName":"node-1","zone":"zone-a"}
            """)));
        return Parse($$$"""
            {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"{{{name}}}","namespace":"{{{ns}}}","labels":{"kubernetes.io/service-name":"{{{service}}}"}},
             "addressType":"IPv4","ports":[{"name":"{{{portName}}}","port":{{{port}}},"protocol":"TCP"}],"endpoints":[{{{eps}}}]}
            """);
    }

    public static JsonObject VirtualService(string name, string ns, string host, string spec) => Parse($$$"""
        {"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"{{{name}}}","namespace":"{{{ns}}}"},
         "spec":{"hosts":["{{{host}}}"],{{{spec}}}}}
        """);

    public static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();
}
