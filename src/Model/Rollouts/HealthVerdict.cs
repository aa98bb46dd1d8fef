using System.Globalization;
using System.Text.Json;

namespace Mesh.Model.Rollouts;

/// <summary>
/// One health check's outcome. A check passes on a 2xx answer whose body is empty, <c>pass</c>,
/// <c>ok</c> or <c>true</c>, or a Prometheus query API answer (<c>/api/v1/query</c>) whose result
/// is empty: the query names the failure, as an alerting rule does (e.g.
/// <c>rate(istio_requests_total{response_code=~"5.."}[1m]) > 1</c>). Anything else fails, with the reason:
/// a non-2xx status, <c>fail</c>, a Prometheus result with series, an error, a timeout, or a body
/// that is none of these (garbage never counts as a pass).
/// </summary>
public sealed record HealthVerdict(bool Pass, string Reason)
{
    private const int MaxQuoted = 120;

    public static HealthVerdict Passed(string reason) => new(true, reason);

    public static HealthVerdict Failed(string reason) => new(false, reason);

    /// <summary>The verdict on an HTTP answer: <paramref name="status"/> and its <paramref name="body"/>.</summary>
    public static HealthVerdict Of(int status, string? body)
    {
        var text = (body ?? "").Trim();
        if (status is < 200 or > 299)
        {
            return Failed($"HTTP {status.ToString(CultureInfo.InvariantCulture)}{(text.Length > 0 ? ": " + Quote(text) : "")}");
        }
        switch (text.ToLowerInvariant())
        {
            case "" or "pass" or "ok" or "true":
                return Passed($"HTTP {status.ToString(CultureInfo.InvariantCulture)} {(text.Length == 0 ? "(empty body)" : text)}");
            case "fail" or "false":
                return Failed($"the check answered '{text}'");
        }
        if (text.StartsWith("fail", StringComparison.OrdinalIgnoreCase))
        {
            return Failed($"the check answered '{Quote(text)}'");
        }
        if (text.StartsWith('{'))
        {
            return OfPrometheus(text);
        }
        return Failed($"unrecognised answer '{Quote(text)}' (expected pass, ok, fail or a Prometheus query result)");
    }

    private static HealthVerdict OfPrometheus(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("status", out var status) || status.ValueKind != JsonValueKind.String)
            {
                return Failed($"unrecognised JSON answer '{Quote(json)}' (expected a Prometheus query result)");
            }
            if (status.GetString() != "success")
            {
                var error = root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : status.GetString();
                return Failed($"Prometheus query failed: {Quote(error ?? "")}");
            }
            if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object
                || !data.TryGetProperty("result", out var result))
            {
                return Failed("Prometheus answer without data.result");
            }
            return result.ValueKind switch
            {
                JsonValueKind.Array when result.GetArrayLength() == 0 => Passed("Prometheus query returned no series"),
                JsonValueKind.Array => Failed($"Prometheus query returned {result.GetArrayLength().ToString(CultureInfo.InvariantCulture)} series: {Quote(result[0].GetRawText())}"),
                _ => Failed("Prometheus query returned a scalar or string, not a vector or matrix"),
            };
        }
        catch (JsonException ex)
        {
            return Failed($"malformed JSON answer: {ex.Message}");
        }
    }

    private static string Quote(string text) => text.Length <= MaxQuoted ? text : text[..MaxQuoted] + "…";
}
