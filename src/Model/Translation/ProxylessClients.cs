using System.Globalization;
using Envoy.Config.Route.V3;

namespace Mesh.Model.Translation;

/// <summary>What a proxyless client version is known to mishandle, so Mesh withholds it from that client.</summary>
[Flags]
public enum ClientQuirks
{
    None = 0,

    /// <summary>
    /// gRPC C-core 1.51 (core 29) and older fire a route's <c>max_stream_duration</c> 1–2 s early
    /// (seen with Debian's grpcio 1.51: a 50 ms call under a 300 ms route timeout ends in
    /// DEADLINE_EXCEEDED): route timeouts are left out of its RouteConfigurations.
    /// </summary>
    EarlyRouteTimeouts = 1,
}

/// <summary>
/// Which proxyless gRPC client a node is, from the node's <c>user_agent_name</c> and
/// <c>user_agent_version</c> (C-core sends e.g. <c>gRPC C-core linux Python</c> /
/// <c>C-core 29.0.0 Python 1.51.1</c>; grpc-js <c>gRPC Node Pure JS</c> / its version), the
/// <see cref="ClientQuirks"/> of that version, and the resources adapted to them.
/// </summary>
public static class ProxylessClients
{
    /// <summary>The newest C-core major version (core numbering: 29 is gRPC 1.51) known to fire route timeouts early.</summary>
    public const int EarlyRouteTimeoutsThroughCoreMajor = 29;

    /// <summary>The quirks of a client, <see cref="ClientQuirks.None"/> for a client Mesh knows nothing wrong with (or does not recognize).</summary>
    public static ClientQuirks QuirksOf(string? userAgentName, string? userAgentVersion)
    {
        var quirks = ClientQuirks.None;
        if (CoreMajor(userAgentName, userAgentVersion) is { } major && major <= EarlyRouteTimeoutsThroughCoreMajor)
        {
            quirks |= ClientQuirks.EarlyRouteTimeouts;
        }
        return quirks;
    }

    /// <summary>
    /// The C-core major version of a C-core based client (its <c>user_agent_version</c> starts
    /// <c>C-core MAJOR.</c>), null for any other client or a version that does not parse.
    /// </summary>
    public static int? CoreMajor(string? userAgentName, string? userAgentVersion)
    {
        if (userAgentName is null || !userAgentName.StartsWith("gRPC C-core", StringComparison.Ordinal)
            || userAgentVersion is null || !userAgentVersion.StartsWith("C-core ", StringComparison.Ordinal))
        {
            return null;
        }
        var version = userAgentVersion.AsSpan("C-core ".Length);
        var dot = version.IndexOf('.');
        return dot > 0 && int.TryParse(version[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var major) ? major : null;
    }

    /// <summary>The names of the features withheld for <paramref name="quirks"/> (log, metric and debug label values).</summary>
    public static IEnumerable<string> Withheld(ClientQuirks quirks)
    {
        if (quirks.HasFlag(ClientQuirks.EarlyRouteTimeouts))
        {
            yield return "route_timeout";
        }
    }

    /// <summary>
    /// <paramref name="resource"/> as a client with <paramref name="quirks"/> gets it: the same
    /// instance when nothing it holds is withheld, else a new resource (own content hash) without
    /// the withheld fields. Only RouteConfigurations are adapted today.
    /// </summary>
    public static XdsResource Adapt(XdsResource resource, ClientQuirks quirks)
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (!quirks.HasFlag(ClientQuirks.EarlyRouteTimeouts) || resource.TypeUrl != TypeUrls.Route || resource.IsAbsent)
        {
            return resource;
        }
        var config = RouteConfiguration.Parser.ParseFrom(resource.Body.Span);
        var changed = false;
        foreach (var route in config.VirtualHosts.SelectMany(h => h.Routes))
        {
            if (route.Route_ is { MaxStreamDuration: not null } action)
            {
                action.MaxStreamDuration = null;
                changed = true;
            }
        }
        return changed ? XdsResource.From(resource.TypeUrl, resource.Name, config) with { Rollout = resource.Rollout } : resource;
    }
}
