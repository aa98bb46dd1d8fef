using System.Text.Json;
using Mesh.Model.Config;

namespace Mesh.Model.Tests.Config;

/// <summary>
/// Config objects cross grains and grain storage as JSON, and a routing's content version is a
/// hash of its JSON: an object must come back from a round trip with the very same JSON, or a
/// re-activated grain would see a change (and start a new rollout) where there is none.
/// </summary>
public sealed class JsonRoundTripTests
{
    [Theory]
    [InlineData("""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews, namespace: bookinfo}
        spec:
          hosts: [reviews]
          exportTo: ["."]
          http:
          - name: all
            match: [{uri: {prefix: /a}, headers: {x-b: {exact: "1"}, x-a: {prefix: b}, X-c: {regex: c}}, queryParams: {q: {exact: v}}, withoutHeaders: {x-z: {exact: "1"}}, method: {exact: GET}, ignoreUriCase: true}]
            fault: {delay: {fixedDelay: 5ms, percentage: {value: 0.5}}, abort: {grpcStatus: UNAVAILABLE, percentage: {value: 1}}}
            headers: {request: {set: {x-b: "2", x-a: "1", x-C: "3"}, add: {x-d: "4"}, remove: [x-e]}, response: {remove: [server]}}
            rewrite: {uri: /v2}
            mirrors: [{destination: {host: ratings}, percentage: {value: 10}}]
            corsPolicy: {allowOrigins: [{exact: "https://a.example"}], allowMethods: [GET], maxAge: 1h}
            retries: {attempts: 2, retryOn: "unavailable,503", retryRemoteLocalities: true}
            route: [{destination: {host: reviews, subset: v1}, weight: 100, headers: {request: {set: {x-v: "1"}}}}]
          - redirect: {authority: new.example, derivePort: FROM_REQUEST_PORT, redirectCode: 308}
        """)]
    [InlineData("""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews, namespace: bookinfo}
        spec:
          host: reviews
          trafficPolicy:
            loadBalancer: {consistentHash: {httpCookie: {name: s, ttl: 10s}, ringHash: {minimumRingSize: 2048}}, warmup: {duration: 30s}}
            connectionPool: {tcp: {maxConnections: 10, tcpKeepalive: {time: 60s}}, http: {http2MaxRequests: 100}}
            outlierDetection: {consecutive5xxErrors: 5, interval: 10s}
            portLevelSettings: [{port: {number: 9080}, loadBalancer: {simple: RANDOM}}]
          subsets: [{name: v1, labels: {version: v1, b: x, A: y}, trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}}]
        """)]
    public void ARoundTrip_KeepsTheJsonByteForByte(string yaml)
    {
        var obj = YamlFixtures.ParseSingle<ConfigObject>(yaml);

        var json = JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType());
        var back = (ConfigObject)JsonSerializer.Deserialize(json, obj.GetType())!;
        var again = JsonSerializer.SerializeToUtf8Bytes(back, back.GetType());

        Assert.Equal(System.Text.Encoding.UTF8.GetString(json), System.Text.Encoding.UTF8.GetString(again));
        Assert.Equal(obj.Unsupported.ToArray(), back.Unsupported.ToArray());
    }
}
