using System.Collections.Immutable;
using Envoy.Config.Route.V3;
using Google.Protobuf;
using Mesh.Model.Config;
using Mesh.Model.Services;

namespace Mesh.Model.Translation;

/// <summary>
/// Builds RDS material: a service's per-port virtual hosts (serialized once, spliced into every
/// scope's RouteConfiguration), the splice itself, and proxyless gRPC route configurations (G-04).
/// </summary>
public static class RouteBuilder
{
    /// <summary>Virtual hosts named <c>FQDN:PORT</c> for each HTTP port, sorted by port, in both namespace variants.</summary>
    public static ImmutableArray<PortVirtualHost> BuildVirtualHosts(ServiceTranslationInput input)
    {
        var result = ImmutableArray.CreateBuilder<PortVirtualHost>();
        foreach (var port in Ports(input.Service).Where(p => p.Protocol.IsHttp()))
        {
            var routes = Routes(input, port.Port, HeaderMatcherForm.StringMatch);
            var same = VirtualHost(input.Service, port.Port, routes, sameNamespace: true).ToByteArray();
            var other = VirtualHost(input.Service, port.Port, routes, sameNamespace: false).ToByteArray();
            var version = ContentHash.Of([.. same, .. other]);
            result.Add(new PortVirtualHost(port.Port, port.Protocol, ResourceNames.HostPort(input.Service.Hostname, port.Port), version, same, other));
        }
        return result.ToImmutable();
    }

    /// <summary>
    /// A RouteConfiguration from already serialized virtual hosts, written field by field (1: name,
    /// 2: each virtual host) without reparsing. Pass the hosts sorted by name.
    /// </summary>
    public static XdsResource BuildRouteConfiguration(string name, IEnumerable<ReadOnlyMemory<byte>> virtualHostBytes)
    {
        var hosts = virtualHostBytes.ToList();
        var size = name.Length == 0 ? 0 : CodedOutputStream.ComputeTagSize(RouteConfiguration.NameFieldNumber) + CodedOutputStream.ComputeStringSize(name);
        foreach (var host in hosts)
        {
            size += CodedOutputStream.ComputeTagSize(RouteConfiguration.VirtualHostsFieldNumber)
                + CodedOutputStream.ComputeLengthSize(host.Length) + host.Length;
        }
        var bytes = new byte[size];
        var output = new CodedOutputStream(bytes);
        if (name.Length > 0)
        {
            output.WriteTag(RouteConfiguration.NameFieldNumber, WireFormat.WireType.LengthDelimited);
            output.WriteString(name);
        }
        foreach (var host in hosts)
        {
            output.WriteTag(RouteConfiguration.VirtualHostsFieldNumber, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(UnsafeByteOperations.UnsafeWrap(host));
        }
        output.Flush();
        output.CheckNoSpaceLeft();
        return new XdsResource(TypeUrls.Route, name, ContentHash.Of(bytes), bytes);
    }

    /// <summary>
    /// Proxyless gRPC: one RouteConfiguration per port (any protocol), named <c>FQDN:PORT</c> like the
    /// listener, holding the other-namespace virtual host, whose domains include <c>FQDN:PORT</c> (G-04).
    /// Header matches use the legacy HeaderMatcher fields that every gRPC xDS client accepts.
    /// </summary>
    public static ImmutableArray<XdsResource> BuildProxylessRoutes(ServiceTranslationInput input)
    {
        var result = ImmutableArray.CreateBuilder<XdsResource>();
        foreach (var port in Ports(input.Service))
        {
            var name = ResourceNames.HostPort(input.Service.Hostname, port.Port);
            var host = VirtualHost(input.Service, port.Port, Routes(input, port.Port, HeaderMatcherForm.Legacy, proxyless: true), sameNamespace: false);
            result.Add(XdsResource.From(TypeUrls.Route, name, new RouteConfiguration { Name = name, VirtualHosts = { host } }));
        }
        return result.ToImmutable();
    }

    internal static IEnumerable<MeshServicePort> Ports(MeshService service) =>
        service.Ports.IsDefault ? [] : service.Ports.DistinctBy(p => p.Port).OrderBy(p => p.Port);

    private static List<Route> Routes(ServiceTranslationInput input, int port, HeaderMatcherForm headerForm, bool proxyless = false)
    {
        var context = new HttpRouteTranslator.Context(
            port,
            input.Settings.DomainSuffix,
            headerForm,
            match => match.Gateways.IsDefaultOrEmpty || match.Gateways.Contains(VirtualService.MeshGateway),
            (_, _) => port,
            [],
            // A ServiceEntry host such as httpbin.org routing to itself is not a "name.namespace" short form.
            host => string.Equals(host, input.Service.Hostname, StringComparison.Ordinal),
            proxyless,
            // The service's own DestinationRule is known here; another host's hash is not applied (reported nowhere yet).
            (host, destination, destinationPort) => string.Equals(host, input.Service.Hostname, StringComparison.Ordinal)
                ? ClusterPolicy.For(input.DestinationRule, SubsetOf(input.DestinationRule, destination.Subset), destinationPort).Hash
                : null,
            input.Settings.DefaultRetryAttempts);
        // Already sorted by contract; sorting again (stable) keeps shuffled input harmless.
        var virtualServices = (input.VirtualServices.IsDefault ? [] : input.VirtualServices)
            .OrderBy(v => v.Meta.Namespace, StringComparer.Ordinal)
            .ThenBy(v => v.Meta.Name, StringComparer.Ordinal);
        var routes = HttpRouteTranslator.Translate(virtualServices, context);
        if (routes.Count == 0)
        {
            routes.Add(HttpRouteTranslator.DefaultOutbound(ResourceNames.OutboundCluster(port, null, input.Service.Hostname), proxyless, ClusterPolicy.For(input.DestinationRule, null, port).Hash, input.Settings.DefaultRetryAttempts));
        }
        return routes;
    }

    private static Subset? SubsetOf(DestinationRule? rule, string? subset) =>
        subset is null || rule is null || rule.Subsets.IsDefaultOrEmpty ? null : rule.Subsets.FirstOrDefault(s => string.Equals(s.Name, subset, StringComparison.Ordinal));

    private static VirtualHost VirtualHost(MeshService service, int port, List<Route> routes, bool sameNamespace) => new()
    {
        Name = ResourceNames.HostPort(service.Hostname, port),
        Domains = { HostNames.Domains(service, port, sameNamespace) },
        Routes = { routes },
    };
}
