namespace Mesh.Model.Translation;

/// <summary>Which fields of Envoy's <c>HeaderMatcher</c> a route build writes a header match in.</summary>
internal enum HeaderMatcherForm
{
    /// <summary><c>string_match</c> (field 13), the current form; for Envoy sidecars and routers.</summary>
    StringMatch,

    /// <summary>
    /// The deprecated oneof fields <c>exact_match</c> (4), <c>prefix_match</c> (9) and
    /// <c>safe_regex_match</c> (11): what every proxyless gRPC client accepts (gRFC A28).
    /// <c>string_match</c> came to gRPC with gRFC A63 (2023; C-core grpc/grpc#32993); older
    /// clients, such as Debian's grpcio 1.51, NACK the whole RouteConfiguration on it.
    /// </summary>
    Legacy,
}
