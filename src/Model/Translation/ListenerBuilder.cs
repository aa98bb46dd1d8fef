using System.Collections.Immutable;
using Envoy.Config.Listener.V3;
using Google.Protobuf.WellKnownTypes;

namespace Mesh.Model.Translation;

/// <summary>
/// Builds LDS resources (and the RouteConfigurations they reference): proxyless gRPC API listeners,
/// a sidecar scope's listeners and routes, and a router's (ingress gateway's) listeners and routes.
/// </summary>
public static partial class ListenerBuilder
{
    /// <summary>
    /// Proxyless gRPC: per port a Listener named <c>FQDN:PORT</c> (the <c>xds:///</c> target, G-02) whose
    /// <c>api_listener</c> is an HttpConnectionManager fetching the same-named route over ADS, with
    /// the fault filter (gRFC A33) and the router last (G-03).
    /// </summary>
    public static ImmutableArray<XdsResource> BuildProxyless(ServiceTranslationInput input)
    {
        var result = ImmutableArray.CreateBuilder<XdsResource>();
        foreach (var port in RouteBuilder.Ports(input.Service))
        {
            var name = ResourceNames.HostPort(input.Service.Hostname, port.Port);
            var listener = new Listener
            {
                Name = name,
                ApiListener = new ApiListener { ApiListener_ = Any.Pack(EnvoyFilters.ProxylessManager(name)) },
            };
            result.Add(XdsResource.From(TypeUrls.Listener, name, listener));
        }
        return result.ToImmutable();
    }
}
