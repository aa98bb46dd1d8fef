using Mesh.Testing;
using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Mesh.Model.Translation;
using Matchers = Envoy.Type.Matcher.V3;

namespace Mesh.Model.Tests.Translation;

/// <summary>The cluster a call ends up at, with weights, and the path through the config that chose it.</summary>
internal sealed record SimulationResult(string Listener, string? RouteConfig, string? VirtualHost, string? Route, ImmutableArray<(string Cluster, uint Weight)> Clusters)
{
    public string? Cluster => Clusters.Length == 1 ? Clusters[0].Cluster : null;
}

/// <summary>
/// Matches a call (host, port, path, headers) against built sidecar listeners and routes, the way
/// Envoy would, as Istio's pilot/pkg/simulation does: VIP listener, then <c>0.0.0.0_PORT</c> and its
/// route, then <c>virtualOutbound</c>.
/// </summary>
internal sealed class SidecarSimulation
{
    private readonly Dictionary<string, Listener> _listeners;
    private readonly Dictionary<string, RouteConfiguration> _routes;

    public SidecarSimulation(ScopeResources scope)
    {
        _listeners = scope.Listeners.ToDictionary(l => l.Name, l => (Listener)EnvoyJson.Parse(l), StringComparer.Ordinal);
        _routes = scope.Routes.ToDictionary(r => r.Name, r => (RouteConfiguration)EnvoyJson.Parse(r), StringComparer.Ordinal);
    }

    public SimulationResult Call(string host, int port, string path = "/", IReadOnlyDictionary<string, string>? headers = null)
    {
        headers ??= new Dictionary<string, string>();
        var p = port.ToString(CultureInfo.InvariantCulture);
        if (IPAddress.TryParse(host, out _) && _listeners.TryGetValue($"{host}_{p}", out var vipListener))
        {
            return Tcp(vipListener);
        }
        if (!_listeners.TryGetValue($"0.0.0.0_{p}", out var listener))
        {
            return Tcp(_listeners[ResourceNames.VirtualOutbound]);
        }
        var filter = listener.FilterChains.Single().Filters.Single();
        if (filter.TypedConfig.Is(TcpProxy.Descriptor))
        {
            return Tcp(listener);
        }
        var manager = filter.TypedConfig.Unpack<HttpConnectionManager>();
        var config = manager.RouteConfig ?? _routes[manager.Rds.RouteConfigName];
        var virtualHost = SelectVirtualHost(config, host, $"{host}:{p}");
        if (virtualHost is null)
        {
            return new(listener.Name, config.Name, null, null, []);
        }
        var route = virtualHost.Routes.FirstOrDefault(r => Matches(r.Match, path, headers));
        if (route?.Route_ is not { } action)
        {
            return new(listener.Name, config.Name, virtualHost.Name, route?.Name, []);
        }
        ImmutableArray<(string, uint)> clusters = action.WeightedClusters is { } weighted
            ? [.. weighted.Clusters.Select(c => (c.Name, c.Weight ?? 0))]
            : [(action.Cluster, 100u)];
        return new(listener.Name, config.Name, virtualHost.Name, route.Name, clusters);
    }

    private static SimulationResult Tcp(Listener listener)
    {
        var proxy = listener.FilterChains.Single().Filters.Single().TypedConfig.Unpack<TcpProxy>();
        return new(listener.Name, null, null, null, [(proxy.Cluster, 100u)]);
    }

    // Envoy: exact domain first, then the longest suffix wildcard, then prefix wildcards, then "*".
    private static VirtualHost? SelectVirtualHost(RouteConfiguration config, params string[] authorities)
    {
        foreach (var authority in authorities)
        {
            var exact = config.VirtualHosts.FirstOrDefault(v => v.Domains.Contains(authority));
            if (exact is not null)
            {
                return exact;
            }
        }
        var suffix = config.VirtualHosts
            .SelectMany(v => v.Domains.Where(d => d.Length > 1 && d.StartsWith('*') && authorities.Any(a => a.EndsWith(d[1..], StringComparison.Ordinal))).Select(d => (v, d)))
            .OrderByDescending(x => x.d.Length)
            .FirstOrDefault();
        return suffix.v ?? config.VirtualHosts.FirstOrDefault(v => v.Domains.Contains("*"));
    }

    private static bool Matches(RouteMatch match, string path, IReadOnlyDictionary<string, string> headers)
    {
        var pathOk = match.PathSpecifierCase switch
        {
            RouteMatch.PathSpecifierOneofCase.Prefix => path.StartsWith(match.Prefix, StringComparison.Ordinal),
            RouteMatch.PathSpecifierOneofCase.Path => path == match.Path,
            RouteMatch.PathSpecifierOneofCase.SafeRegex => FullMatch(match.SafeRegex.Regex, path),
            _ => false,
        };
        return pathOk && match.Headers.All(h => h.HeaderMatchSpecifierCase == HeaderMatcher.HeaderMatchSpecifierOneofCase.PresentMatch
            ? headers.ContainsKey(h.Name) == h.PresentMatch
            : headers.TryGetValue(h.Name, out var value) && Matches(h.StringMatch, value));
    }

    private static bool Matches(Matchers.StringMatcher matcher, string value) => matcher.MatchPatternCase switch
    {
        Matchers.StringMatcher.MatchPatternOneofCase.Exact => value == matcher.Exact,
        Matchers.StringMatcher.MatchPatternOneofCase.Prefix => value.StartsWith(matcher.Prefix, StringComparison.Ordinal),
        Matchers.StringMatcher.MatchPatternOneofCase.SafeRegex => FullMatch(matcher.SafeRegex.Regex, value),
        _ => false,
    };

    private static bool FullMatch(string pattern, string value) =>
        Regex.IsMatch(value, $"^(?:{pattern})$", RegexOptions.None, TimeSpan.FromSeconds(1));
}
