using Mesh.Model.Translation;

namespace Mesh.LoadTest.Tests;

/// <summary>When the load tool counts a proxy as holding full config: every required resource, each once, of its type.</summary>
[Trait("Category", "BVT")]
public sealed class ProxyStateTests
{
    private static readonly DateTime T0 = new(2026, 12, 4, 0, 0, 0, DateTimeKind.Utc);

    // As a response parses them: equal content, other instances than the tool's own names.
    private static string Parsed(string s) => new(s.AsSpan());

    [Fact]
    public void FullConfig_IsTheTimeTheLastRequiredResourceArrived_RepeatsAndOthersCountNothing()
    {
        string[] clusters = ["outbound|80||a.ns-0.svc.cluster.local", "outbound|80||b.ns-0.svc.cluster.local"];
        var required = new RequiredConfig(clusters);
        var state = new ProxyState(0, [.. clusters], required);
        Assert.Equal(6, required.Count); // two clusters and their endpoints, listener 0.0.0.0_80, route 80

        state.Received(Parsed(TypeUrls.Cluster), Parsed(clusters[0]), T0);
        state.Received(Parsed(TypeUrls.Cluster), Parsed(clusters[0]), T0.AddSeconds(1)); // a repeat
        state.Received(Parsed(TypeUrls.Cluster), Parsed(clusters[1]), T0.AddSeconds(1));
        state.Received(Parsed(TypeUrls.Endpoint), Parsed(clusters[0]), T0.AddSeconds(2));
        state.Received(Parsed(TypeUrls.Route), Parsed("0.0.0.0_80"), T0.AddSeconds(2)); // a listener's name as a route
        state.Received(Parsed(TypeUrls.Endpoint), Parsed("outbound|80||hidden.ns-9.svc.cluster.local"), T0.AddSeconds(2));
        state.Received("type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret", Parsed(clusters[1]), T0.AddSeconds(2));
        state.Received(Parsed(TypeUrls.Listener), Parsed("0.0.0.0_80"), T0.AddSeconds(3));
        Assert.Null(state.FullAt);

        state.Received(Parsed(TypeUrls.Route), Parsed("80"), T0.AddSeconds(4));
        Assert.Null(state.FullAt);
        state.Received(Parsed(TypeUrls.Endpoint), Parsed(clusters[1]), T0.AddSeconds(5));
        Assert.Equal(T0.AddSeconds(5), state.FullAt);

        state.Received(Parsed(TypeUrls.Endpoint), Parsed(clusters[1]), T0.AddSeconds(9));
        Assert.Equal(T0.AddSeconds(5), state.FullAt);
    }

    [Fact]
    public void ProxiesOfOneGroup_ShareTheirRequirement_AndCountApart()
    {
        var required = new RequiredConfig(Enumerable.Range(0, 130).Select(i => $"outbound|80||s{i}.ns-0.svc.cluster.local"));
        var first = new ProxyState(0, [], required);
        var second = new ProxyState(0, [], required);

        for (var i = 0; i < 130; i++)
        {
            first.Received(TypeUrls.Cluster, $"outbound|80||s{i}.ns-0.svc.cluster.local", T0);
            first.Received(TypeUrls.Endpoint, $"outbound|80||s{i}.ns-0.svc.cluster.local", T0);
        }
        first.Received(TypeUrls.Listener, "0.0.0.0_80", T0);
        first.Received(TypeUrls.Route, "80", T0.AddSeconds(1));

        Assert.Equal(262, required.Count); // more than four words of bits
        Assert.Equal(T0.AddSeconds(1), first.FullAt);
        Assert.Null(second.FullAt);
    }
}
