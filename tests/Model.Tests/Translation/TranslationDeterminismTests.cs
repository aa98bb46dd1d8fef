using System.Collections.Immutable;
using Mesh.Model.Services;
using Mesh.Model.Translation;

namespace Mesh.Model.Tests.Translation;

/// <summary>Same input, in any order ⇒ identical bytes and versions (STYLE 8).</summary>
public sealed class TranslationDeterminismTests
{
    private const int Iterations = 20;

    [Fact]
    public void Builders_ShuffledInput_IdenticalBytesAndVersions()
    {
        ImmutableArray<InboundPort> inbound = [new InboundPort(9080, Protocol.Http), new InboundPort(15020, Protocol.Tcp)];
        var expected = Build(Bookinfo.All(), Bookinfo.ProductPageScope() with { InboundPorts = inbound }, Bookinfo.IngressGateway());
        var random = new Random(20260523);
        for (var i = 0; i < Iterations; i++)
        {
            var inputs = Shuffle(random, Bookinfo.All()).Select(input => Shuffle(random, input)).ToImmutableArray();
            var scope = Bookinfo.ProductPageScope() with
            {
                Services = Shuffle(random, inputs.Select(Bookinfo.ScopeService)),
                InboundPorts = Shuffle(random, inbound),
            };
            var router = Bookinfo.IngressGateway();
            router = router with { VirtualServices = Shuffle(random, router.VirtualServices), Gateways = Shuffle(random, router.Gateways) };

            var actual = Build(inputs, scope, router);

            Assert.Equal(expected.Count, actual.Count);
            foreach (var (key, resource) in expected)
            {
                Assert.True(actual.TryGetValue(key, out var other), $"iteration {i}: {key} missing");
                Assert.Equal(resource.Version, other.Version);
                Assert.True(resource.Body.Span.SequenceEqual(other.Body.Span), $"iteration {i}: {key} bytes differ");
            }
        }
    }

    [Fact]
    public void BuildVirtualHosts_ShuffledInput_IdenticalVersions()
    {
        var expected = RouteBuilder.BuildVirtualHosts(Bookinfo.ReviewsInput()).Single();
        var random = new Random(7);
        for (var i = 0; i < Iterations; i++)
        {
            var actual = RouteBuilder.BuildVirtualHosts(Shuffle(random, Bookinfo.ReviewsInput())).Single();

            Assert.Equal(expected.Version, actual.Version);
            Assert.True(expected.SameNamespace.Span.SequenceEqual(actual.SameNamespace.Span));
            Assert.True(expected.OtherNamespace.Span.SequenceEqual(actual.OtherNamespace.Span));
        }
    }

    private static SortedDictionary<string, XdsResource> Build(IEnumerable<ServiceTranslationInput> inputs, ScopeView scope, RouterView router)
    {
        var all = new SortedDictionary<string, XdsResource>(StringComparer.Ordinal);
        void Add(string source, IEnumerable<XdsResource> resources)
        {
            foreach (var r in resources)
            {
                all.Add($"{source}/{r.TypeUrl}/{r.Name}", r);
            }
        }
        foreach (var input in inputs)
        {
            Add("service", ClusterBuilder.BuildOutbound(input));
            Add("service", EndpointBuilder.Build(input));
            Add("proxyless", ListenerBuilder.BuildProxyless(input));
            Add("proxyless", RouteBuilder.BuildProxylessRoutes(input));
        }
        var sidecar = ListenerBuilder.BuildSidecar(scope);
        Add("sidecar", sidecar.Listeners.Concat(sidecar.Routes).Concat(sidecar.OwnClusters));
        all.Add("sidecar/cluster-names", XdsResource.From("names", "names", new Google.Protobuf.WellKnownTypes.StringValue { Value = string.Join(',', sidecar.ClusterNames) }));
        var gateway = ListenerBuilder.BuildRouter(router);
        Add("router", gateway.Listeners.Concat(gateway.Routes));
        return all;
    }

    private static ServiceTranslationInput Shuffle(Random random, ServiceTranslationInput input) => input with
    {
        Service = input.Service with
        {
            Ports = Shuffle(random, input.Service.Ports),
            Addresses = Shuffle(random, input.Service.Addresses),
            Selector = Relabel(random, input.Service.Selector),
        },
        Endpoints = Shuffle(random, input.Endpoints.Select(e => e with
        {
            Labels = Relabel(random, e.Labels),
            Ports = Shuffle(random, e.Ports).ToImmutableSortedDictionary(),
        })),
        DestinationRule = input.DestinationRule is null ? null : input.DestinationRule with
        {
            Subsets = Shuffle(random, input.DestinationRule.Subsets.Select(s => s with { Labels = Relabel(random, s.Labels) })),
        },
        VirtualServices = Shuffle(random, input.VirtualServices.Select(v => v with { Hosts = Shuffle(random, v.Hosts) })),
    };

    // Rebuilt from shuffled pairs: insertion order must not matter.
    private static ImmutableSortedDictionary<string, string> Relabel(Random random, ImmutableSortedDictionary<string, string> labels) =>
        Shuffle(random, labels).ToImmutableSortedDictionary(StringComparer.Ordinal);

    private static ImmutableArray<T> Shuffle<T>(Random random, IEnumerable<T> items)
    {
        var array = items.ToArray();
        random.Shuffle(array);
        return [.. array];
    }
}
