using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Listener.OriginalDst.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Envoy.Extensions.Upstreams.Http.V3;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Mesh.Model.Translation;

namespace Mesh.Testing;

/// <summary>Parses built resources back into Envoy messages and renders them as Envoy-style JSON.</summary>
public static class EnvoyJson
{
    public static readonly TypeRegistry Registry = EnvoyTypes.Registry;

    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithTypeRegistry(Registry));

    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static IMessage Parse(XdsResource resource) => resource.TypeUrl switch
    {
        TypeUrls.Cluster => Cluster.Parser.ParseFrom(resource.Body.Span),
        TypeUrls.Endpoint => ClusterLoadAssignment.Parser.ParseFrom(resource.Body.Span),
        TypeUrls.Listener => Listener.Parser.ParseFrom(resource.Body.Span),
        TypeUrls.Route => RouteConfiguration.Parser.ParseFrom(resource.Body.Span),
        _ => throw new ArgumentException($"unknown type {resource.TypeUrl}", nameof(resource)),
    };

    /// <summary>A JSON array of <c>{ source, name, version, resource }</c>, indented, with a trailing newline.</summary>
    public static string Render(IEnumerable<(string Source, XdsResource Resource)> resources)
    {
        var array = new JsonArray();
        foreach (var (source, resource) in resources)
        {
            array.Add(new JsonObject
            {
                ["source"] = source,
                ["name"] = resource.Name,
                ["version"] = resource.Version,
                ["resource"] = JsonNode.Parse(Formatter.Format(Parse(resource))),
            });
        }
        return array.ToJsonString(Indented).ReplaceLineEndings("\n") + "\n";
    }
}
