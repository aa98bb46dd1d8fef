using System.Collections.Immutable;

namespace Mesh.Model.Config.Parsing;

/// <summary>Reads an Istio <c>VirtualService</c>: hosts, gateways, HTTP, TCP and TLS routes.</summary>
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
            // exportTo is not applied to VirtualServices yet: left unread, so it is reported as unsupported.
            [])
        {
            Tls = [.. spec.Field("tls").Items().Select(ReadTlsRoute)],
        };
    }

    private static TlsRoute ReadTlsRoute(YamlCursor route) => new(
        // sniHosts and port are translated; sourceLabels, destinationSubnets, gateways stay unread (reported).
        [.. route.Field("match").Items().Select(m => new TlsMatch(m.Field("sniHosts").Strings(), m.Field("port").Int()))],
        [.. route.Field("route").Items().Select(ReadRouteDestination)]);

    private static HttpRoute ReadHttpRoute(YamlCursor route)
    {
        var retries = route.Field("retries");
        var mirrors = ImmutableArray.CreateBuilder<HttpMirror>();
        if (route.Field("mirror") is { Exists: true } mirror)
        {
            mirrors.Add(new HttpMirror(ReadDestination(mirror), ReadPercent(route.Field("mirrorPercentage"), route.Field("mirrorPercent"))));
        }
        var single = mirrors.Count == 1;
        if (single && route.Field("mirrors").Exists)
        {
            route.Field("mirrors").Error("cannot set both mirror and mirrors");
        }
        foreach (var item in route.Field("mirrors").Items())
        {
            mirrors.Add(new HttpMirror(ReadDestination(item.Field("destination")), ReadPercent(item.Field("percentage"), default)));
        }
        return new HttpRoute(
            route.Field("name").String(),
            [.. route.Field("match").Items().Select(ReadMatch)],
            [.. route.Field("route").Items().Select(ReadRouteDestination)],
            route.Field("timeout").Duration(),
            retries.Exists
                ? new HttpRetry(retries.Field("attempts").Int() ?? 0, retries.Field("perTryTimeout").Duration(), retries.Field("retryOn").String())
                {
                    RetryRemoteLocalities = retries.Field("retryRemoteLocalities").Bool(),
                }
                : null)
        {
            Fault = ReadFault(route.Field("fault")),
            Headers = ReadHeaders(route.Field("headers")),
            Rewrite = ReadRewrite(route.Field("rewrite")),
            Redirect = ReadRedirect(route.Field("redirect")),
            DirectResponse = ReadDirectResponse(route.Field("directResponse")),
            Mirrors = mirrors.ToImmutable(),
            SingleMirror = single,
            Cors = ReadCors(route.Field("corsPolicy")),
            Delegate = route.Field("delegate") is { Exists: true } d ? new DelegateTarget(d.Field("name").String() ?? "", d.Field("namespace").String()) : null,
        };
    }

    private static HttpMatchRequest ReadMatch(YamlCursor match) =>
        new(
            match.Field("name").String(),
            ReadStringMatch(match.Field("uri")),
            ReadStringMatches(match.Field("headers"), headers: true, nullIsPresent: false),
            match.Field("port").Int(),
            match.Field("gateways").Strings())
        {
            Scheme = ReadStringMatch(match.Field("scheme")),
            Method = ReadStringMatch(match.Field("method")),
            Authority = ReadStringMatch(match.Field("authority")),
            QueryParams = ReadStringMatches(match.Field("queryParams")),
            WithoutHeaders = ReadStringMatches(match.Field("withoutHeaders"), headers: true, nullIsPresent: true),
            IgnoreUriCase = match.Field("ignoreUriCase").Bool() ?? false,
        };

    /// <summary>
    /// Named string matches. For <paramref name="headers"/>, as Istio: a match that sets nothing
    /// (<c>{}</c>) or the regex <c>*</c> asks for the header to be present.
    /// </summary>
    private static ImmutableSortedDictionary<string, StringMatch> ReadStringMatches(YamlCursor map, bool headers = false, bool nullIsPresent = false)
    {
        var matches = ImmutableSortedDictionary.CreateBuilder<string, StringMatch>(StringComparer.Ordinal);
        foreach (var (name, value) in map.Entries())
        {
            var isNull = value.Node is null or YamlDotNet.RepresentationModel.YamlScalarNode { Value: null or "" or "null" or "~" };
            if (headers && isNull && !nullIsPresent)
            {
                value.Error($"header match {name} cannot be null");
            }
            else if (headers && (value.Node is YamlDotNet.RepresentationModel.YamlMappingNode { Children.Count: 0 } || isNull))
            {
                matches[name] = new StringMatch(StringMatchKind.Present, "");
            }
            else if (ReadStringMatch(value) is { } m)
            {
                matches[name] = headers && m is { MatchKind: StringMatchKind.Regex, Value: "*" } ? new StringMatch(StringMatchKind.Present, "") : m;
            }
        }
        return matches.ToImmutable();
    }

    /// <summary>Istio's <c>Percent</c> (<c>{value: 12.5}</c>), or the deprecated integer field beside it.</summary>
    private static double? ReadPercent(YamlCursor percentage, YamlCursor deprecatedInteger)
    {
        if (percentage.Exists)
        {
            return percentage.Field("value").Double() ?? 0;
        }
        return deprecatedInteger.Exists ? deprecatedInteger.Int() : null;
    }

    private static HttpFault? ReadFault(YamlCursor fault)
    {
        if (!fault.Exists)
        {
            return null;
        }
        if (!fault.Field("delay").Exists && !fault.Field("abort").Exists)
        {
            fault.Error("must set delay and/or abort");
        }
        // Istio accepts a delay without a type and an abort without a status (it warns) and
        // translates neither: read, and reported as not translated.
        FaultDelay? delay = null;
        if (fault.Field("delay") is { Exists: true } d)
        {
            if (d.Field("exponentialDelay").Exists)
            {
                d.Field("exponentialDelay").Error("not supported by Istio or Envoy; use fixedDelay");
            }
            else if (d.Field("fixedDelay") is { Exists: true } fixedDelay)
            {
                delay = new FaultDelay(fixedDelay.Duration() ?? TimeSpan.Zero, ReadPercent(d.Field("percentage"), d.Field("percent")));
            }
            else
            {
                d.NotTranslated();
            }
        }
        FaultAbort? abort = null;
        if (fault.Field("abort") is { Exists: true } a)
        {
            var http = a.Field("httpStatus");
            var grpc = a.Field("grpcStatus");
            if (http.Exists && grpc.Exists)
            {
                a.Error("set only one of httpStatus or grpcStatus");
            }
            if (http.Exists || grpc.Exists)
            {
                abort = new FaultAbort(http.Int(), grpc.String(), ReadPercent(a.Field("percentage"), default));
            }
            else
            {
                a.NotTranslated();
            }
        }
        return new HttpFault(delay, abort);
    }

    private static HeaderOperations? ReadHeaders(YamlCursor headers)
    {
        if (!headers.Exists)
        {
            return null;
        }
        return new HeaderOperations(ReadHeaderEdits(headers.Field("request")), ReadHeaderEdits(headers.Field("response")));
    }

    private static HeaderEdits ReadHeaderEdits(YamlCursor edits) =>
        edits.Exists ? new HeaderEdits(edits.Field("set").StringMap(), edits.Field("add").StringMap(), edits.Field("remove").Strings()) : HeaderEdits.None;

    private static HttpRewrite? ReadRewrite(YamlCursor rewrite)
    {
        if (!rewrite.Exists)
        {
            return null;
        }
        var regex = rewrite.Field("uriRegexRewrite");
        return new HttpRewrite(
            rewrite.Field("uri").String(),
            rewrite.Field("authority").String(),
            regex.Exists ? new RegexRewrite(regex.Field("match").String() ?? "", regex.Field("rewrite").String() ?? "") : null);
    }

    private static HttpRedirect? ReadRedirect(YamlCursor redirect) =>
        redirect.Exists
            ? new HttpRedirect(
                redirect.Field("uri").String(),
                redirect.Field("authority").String(),
                redirect.Field("port").Int(),
                redirect.Field("derivePort").String(),
                redirect.Field("scheme").String(),
                redirect.Field("redirectCode").Int())
            : null;

    private static HttpDirectResponse? ReadDirectResponse(YamlCursor response)
    {
        if (!response.Exists)
        {
            return null;
        }
        var body = response.Field("body");
        return new HttpDirectResponse(IstioReaders.RequiredInt(response.Field("status")), body.Field("string").String(), body.Field("bytes").String());
    }

    private static CorsPolicy? ReadCors(YamlCursor cors)
    {
        if (!cors.Exists)
        {
            return null;
        }
        var origins = ImmutableArray.CreateBuilder<StringMatch>();
        foreach (var origin in cors.Field("allowOrigins").Items())
        {
            if (ReadStringMatch(origin) is { } m)
            {
                origins.Add(m);
            }
        }
        foreach (var origin in cors.Field("allowOrigin").Strings())
        {
            origins.Add(new StringMatch(StringMatchKind.Exact, origin)); // deprecated list of exact origins
        }
        return new CorsPolicy(
            origins.ToImmutable(),
            cors.Field("allowMethods").Strings(),
            cors.Field("allowHeaders").Strings(),
            cors.Field("exposeHeaders").Strings(),
            cors.Field("maxAge").Duration(),
            cors.Field("allowCredentials").Bool());
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
        return new RouteDestination(ReadDestination(destination), route.Field("weight").Int()) { Headers = ReadHeaders(route.Field("headers")) };
    }

    private static Destination ReadDestination(YamlCursor destination) =>
        new(destination.Field("host").String() ?? "", destination.Field("subset").String(), IstioReaders.ReadPortSelector(destination.Field("port")));

    private static TcpRoute ReadTcpRoute(YamlCursor route)
    {
        // Mesh models one destination-port match per TCP route: the first match's port. Other
        // matches stay unread, so they are reported as unsupported rather than ignored.
        var matches = route.Field("match").Items();
        var port = matches.IsEmpty ? null : matches[0].Field("port").Int();
        return new TcpRoute(port, [.. route.Field("route").Items().Select(ReadRouteDestination)]);
    }
}
