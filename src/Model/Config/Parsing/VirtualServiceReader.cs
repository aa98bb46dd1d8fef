using System.Collections.Immutable;

namespace Mesh.Model.Config.Parsing;

/// <summary>Reads an Istio <c>VirtualService</c>: hosts, gateways, HTTP and TCP routes.</summary>
internal static class VirtualServiceReader
{
    public static VirtualService Read(YamlCursor root, ObjectMeta meta)
    {
        var spec = root.Field("spec");
        return new VirtualService(
            meta,
            spec.Field("hosts").Strings(),
            spec.Field("gateways").Strings(),
            [.. spec.Field("http").Items().Select(ReadHttpRoute)],
            [.. spec.Field("tcp").Items().Select(ReadTcpRoute)],
            spec.Field("exportTo").Strings());
    }

    private static HttpRoute ReadHttpRoute(YamlCursor route)
    {
        var retries = route.Field("retries");
        return new HttpRoute(
            route.Field("name").String(),
            [.. route.Field("match").Items().Select(ReadMatch)],
            [.. route.Field("route").Items().Select(ReadRouteDestination)],
            route.Field("timeout").Duration(),
            retries.Exists
                ? new HttpRetry(retries.Field("attempts").Int() ?? 0, retries.Field("perTryTimeout").Duration(), retries.Field("retryOn").String())
                : null);
    }

    private static HttpMatchRequest ReadMatch(YamlCursor match)
    {
        var headers = ImmutableSortedDictionary.CreateBuilder<string, StringMatch>(StringComparer.Ordinal);
        foreach (var (name, value) in match.Field("headers").Entries())
        {
            if (ReadStringMatch(value) is { } header)
            {
                headers[name] = header;
            }
        }
        return new HttpMatchRequest(
            match.Field("name").String(),
            ReadStringMatch(match.Field("uri")),
            headers.ToImmutable(),
            match.Field("port").Int(),
            match.Field("gateways").Strings());
    }

    /// <summary>Reads an Istio <c>StringMatch</c>, which must set exactly one of exact, prefix or regex.</summary>
    private static StringMatch? ReadStringMatch(YamlCursor match)
    {
        if (!match.Exists)
        {
            return null;
        }
        StringMatch? result = null;
        var count = 0;
        foreach (var (key, kind) in new[] { ("exact", StringMatchKind.Exact), ("prefix", StringMatchKind.Prefix), ("regex", StringMatchKind.Regex) })
        {
            if (match.Field(key).String() is { } value)
            {
                result = new StringMatch(kind, value);
                count++;
            }
        }
        if (count != 1 && !match.Context.HasErrorAt(match.Path))
        {
            match.Error("must set exactly one of exact, prefix or regex");
        }
        return count == 1 ? result : null;
    }

    private static RouteDestination ReadRouteDestination(YamlCursor route)
    {
        var destination = route.Field("destination");
        if (!destination.Exists)
        {
            destination.Error("is required");
        }
        return new RouteDestination(
            new Destination(
                destination.Field("host").String() ?? "",
                destination.Field("subset").String(),
                IstioReaders.ReadPortSelector(destination.Field("port"))),
            route.Field("weight").Int());
    }

    private static TcpRoute ReadTcpRoute(YamlCursor route)
    {
        // Mesh models one destination-port match per TCP route; the first match's port is used.
        var port = route.Field("match").Items().Select(m => m.Field("port").Int()).FirstOrDefault();
        return new TcpRoute(port, [.. route.Field("route").Items().Select(ReadRouteDestination)]);
    }
}
