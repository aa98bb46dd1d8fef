using System.Collections.Immutable;
using Mesh.Model.Services;

namespace Mesh.Model.Config;

/// <summary>
/// Istio's VirtualService delegation (<c>http[].delegate</c>): a root VirtualService's route that
/// names a delegate (a VirtualService without hosts) is replaced by the delegate's routes, each
/// merged under it — matches combined (a delegate match must narrow a root match, else the route is
/// dropped as a conflict), names joined, and every policy the delegate route leaves unset taken from
/// the root route. Destination hosts keep the delegate's namespace (resolved to FQDNs here).
/// </summary>
public static class VirtualServiceDelegation
{
    /// <summary>
    /// <paramref name="root"/> with its delegating routes merged (the same instance when it has none).
    /// <paramref name="find"/> looks a delegate up by namespace and name; what cannot be merged (a
    /// missing delegate, a delegate with hosts, a conflicting match) goes to <paramref name="problems"/>.
    /// </summary>
    public static VirtualService Merge(VirtualService root, Func<string, string, VirtualService?> find, string domainSuffix, List<string>? problems = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(find);
        if (root.Http.IsDefaultOrEmpty || root.Http.All(h => h.Delegate is null) || root.Hosts.IsDefaultOrEmpty)
        {
            return root;
        }
        var merged = ImmutableArray.CreateBuilder<HttpRoute>();
        foreach (var http in root.Http)
        {
            if (http.Delegate is not { } target)
            {
                merged.Add(http);
                continue;
            }
            var ns = string.IsNullOrEmpty(target.Namespace) ? root.Meta.Namespace : target.Namespace;
            var delegated = find(ns, target.Name);
            if (delegated is null || !delegated.Hosts.IsDefaultOrEmpty)
            {
                problems?.Add($"VirtualService {root.Meta.Namespace}/{root.Meta.Name}: delegate {ns}/{target.Name} {(delegated is null ? "not found" : "has hosts, so it is no delegate")}; its routes are skipped");
                continue;
            }
            foreach (var sub in delegated.Http.IsDefault ? [] : delegated.Http)
            {
                if (MergeRoute(http, Qualified(sub, ns, domainSuffix)) is { } route)
                {
                    merged.Add(route);
                }
                else
                {
                    problems?.Add($"VirtualService {root.Meta.Namespace}/{root.Meta.Name}: route {sub.Name} of delegate {ns}/{target.Name} conflicts with the matches of root route {http.Name}; skipped");
                }
            }
        }
        return root with { Http = merged.ToImmutable() };
    }

    /// <summary>The delegates a VirtualService's routes name, as (namespace, name).</summary>
    public static IEnumerable<(string Namespace, string Name)> Delegates(VirtualService vs)
    {
        ArgumentNullException.ThrowIfNull(vs);
        return (vs.Http.IsDefault ? [] : vs.Http).Where(h => h.Delegate is not null)
            .Select(h => (string.IsNullOrEmpty(h.Delegate!.Namespace) ? vs.Meta.Namespace : h.Delegate.Namespace!, h.Delegate.Name));
    }

    private static HttpRoute Qualified(HttpRoute route, string ns, string domainSuffix)
    {
        Destination Resolve(Destination d) => d with { Host = Visibility.ResolveHost(d.Host, ns, domainSuffix) };
        return route with
        {
            Route = [.. (route.Route.IsDefault ? [] : route.Route).Select(r => r with { Destination = Resolve(r.Destination) })],
            Mirrors = [.. (route.Mirrors.IsDefault ? [] : route.Mirrors).Select(m => m with { Destination = Resolve(m.Destination) })],
        };
    }

    private static HttpRoute? MergeRoute(HttpRoute root, HttpRoute sub)
    {
        if (Matches(root.Match.IsDefault ? [] : root.Match, sub.Match.IsDefault ? [] : sub.Match) is not { } matches)
        {
            return null;
        }
        return sub with
        {
            Name = string.IsNullOrEmpty(sub.Name) ? root.Name : string.IsNullOrEmpty(root.Name) ? sub.Name : root.Name + "-" + sub.Name,
            Match = matches,
            Delegate = null,
            Rewrite = sub.Rewrite ?? root.Rewrite,
            DirectResponse = sub.DirectResponse ?? root.DirectResponse,
            Timeout = sub.Timeout ?? root.Timeout,
            Retries = sub.Retries ?? root.Retries,
            Fault = sub.Fault ?? root.Fault,
            Mirrors = sub.Mirrors.IsDefaultOrEmpty ? root.Mirrors : sub.Mirrors,
            SingleMirror = sub.Mirrors.IsDefaultOrEmpty ? root.SingleMirror : sub.SingleMirror,
            Cors = sub.Cors ?? root.Cors,
            Headers = sub.Headers ?? root.Headers,
        };
    }

    /// <summary>Each delegate match under every root match it does not conflict with; null when one fits none (Istio drops the route).</summary>
    private static ImmutableArray<HttpMatchRequest>? Matches(ImmutableArray<HttpMatchRequest> root, ImmutableArray<HttpMatchRequest> sub)
    {
        if (root.IsEmpty)
        {
            return sub;
        }
        if (sub.IsEmpty)
        {
            return root;
        }
        var result = ImmutableArray.CreateBuilder<HttpMatchRequest>();
        foreach (var leaf in sub)
        {
            var fits = root.Where(r => !Conflicts(r, leaf)).ToList();
            if (fits.Count == 0)
            {
                return null;
            }
            result.AddRange(fits.Select(r => MergeMatch(r, leaf)));
        }
        return result.ToImmutable();
    }

    private static HttpMatchRequest MergeMatch(HttpMatchRequest root, HttpMatchRequest leaf) => leaf with
    {
        Name = string.IsNullOrEmpty(leaf.Name) ? root.Name : string.IsNullOrEmpty(root.Name) ? leaf.Name : root.Name + "-" + leaf.Name,
        Uri = leaf.Uri ?? root.Uri,
        Scheme = leaf.Scheme ?? root.Scheme,
        Method = leaf.Method ?? root.Method,
        Authority = leaf.Authority ?? root.Authority,
        Headers = root.Headers.SetItems(leaf.Headers),
        WithoutHeaders = root.WithoutHeaders.SetItems(leaf.WithoutHeaders),
        QueryParams = root.QueryParams.SetItems(leaf.QueryParams),
        Port = leaf.Port ?? root.Port,
        Gateways = leaf.Gateways.IsDefaultOrEmpty ? root.Gateways : leaf.Gateways,
    };

    /// <summary>Istio's <c>hasConflict</c>: the delegate match cannot narrow the root match.</summary>
    private static bool Conflicts(HttpMatchRequest root, HttpMatchRequest leaf)
    {
        if (StringConflict(root.Uri, leaf.Uri) || StringConflict(root.Scheme, leaf.Scheme) || StringConflict(root.Method, leaf.Method) || StringConflict(root.Authority, leaf.Authority))
        {
            return true;
        }
        if (leaf.Headers.Any(h => StringConflict(root.Headers.GetValueOrDefault(h.Key), h.Value))
            || leaf.WithoutHeaders.Any(h => StringConflict(root.WithoutHeaders.GetValueOrDefault(h.Key), h.Value))
            || leaf.QueryParams.Any(q => StringConflict(root.QueryParams.GetValueOrDefault(q.Key), q.Value)))
        {
            return true;
        }
        if (root.IgnoreUriCase != leaf.IgnoreUriCase || (root.Port is > 0 && leaf.Port is > 0 && root.Port != leaf.Port))
        {
            return true;
        }
        var rootGateways = root.Gateways.IsDefault ? [] : root.Gateways;
        var leafGateways = leaf.Gateways.IsDefault ? [] : leaf.Gateways;
        return rootGateways.Length > 0 && leafGateways.Length > 0 && (rootGateways.Length < leafGateways.Length || leafGateways.Any(g => !rootGateways.Contains(g)));
    }

    /// <summary>Istio's <c>stringMatchConflict</c>: a regex on either side conflicts with any other match; exact must equal; a prefix must extend the root's.</summary>
    private static bool StringConflict(StringMatch? root, StringMatch? leaf)
    {
        if (root is null || leaf is null)
        {
            return false;
        }
        if (root.MatchKind == StringMatchKind.Regex || leaf.MatchKind == StringMatchKind.Regex)
        {
            return true;
        }
        return root.MatchKind switch
        {
            StringMatchKind.Exact => leaf.MatchKind != StringMatchKind.Exact || leaf.Value != root.Value,
            StringMatchKind.Prefix => leaf.MatchKind is not (StringMatchKind.Prefix or StringMatchKind.Exact) || !leaf.Value.StartsWith(root.Value, StringComparison.Ordinal),
            _ => true,
        };
    }
}
