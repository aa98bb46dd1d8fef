using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Mesh.Grains.Keys;
using Mesh.Grains.Serialization;
using Mesh.Model.Config;
using Mesh.Model.Translation;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Mesh.Grains.Tests;

/// <summary>Fences cross silos (distributed mode) and live in grain state: they must survive the wire as they are.</summary>
public sealed class FenceSerializationTests
{
    private static readonly Serializer Serializer = new ServiceCollection().AddMeshSerialization().BuildServiceProvider().GetRequiredService<Serializer>();

    [Fact]
    public void NamespaceConfig_WithAFence_RoundTrips_AndOneWithoutHoldsNoneNotADefaultArray()
    {
        var fence = new ServiceFence(ObjectMeta.Of("web", "shop"), "microservice.netease.com/v1alpha1", true,
            ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [
                KeyValuePair.Create("cart.shop.svc.cluster.local", FenceHostPolicy.Static),
                KeyValuePair.Create("pay.shop.svc.cluster.local", new FenceHostPolicy(FenceRecycling.Deadline, Expire: new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero))),
            ]),
            ["bank"], [ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("project", "back")])],
            new FenceWorkloadSelector(false, ImmutableSortedDictionary<string, string>.Empty));
        var config = NamespaceConfig.Empty("shop") with { ServiceFences = [fence] };

        var copy = Serializer.Deserialize<NamespaceConfig>(Serializer.SerializeToArray(config))!;

        var back = Assert.Single(copy.ServiceFences);
        Assert.Equal("microservice.netease.com/v1alpha1", back.ApiVersion);
        Assert.Equal(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero), back.Hosts["pay.shop.svc.cluster.local"].Expire);
        Assert.Equal("back", back.LabelSelector[0]["project"]);
        Assert.False(back.WorkloadSelector!.FromService);

        var old = new NamespaceConfig("shop", [], [], [], []);
        Assert.Empty(Serializer.Deserialize<NamespaceConfig>(Serializer.SerializeToArray(old))!.ServiceFences);
    }

    [Fact]
    public void FencedScopeIdentity_RoundTrips_AndKeysApartFromTheNamespaceScope()
    {
        var fenced = ScopeIdentity.Shared(ProxyKind.Sidecar, "shop", null, "web");

        var copy = Serializer.Deserialize<ScopeIdentity>(Serializer.SerializeToArray(fenced))!;

        Assert.True(copy.SameAs(fenced));
        Assert.Equal("sidecar/shop/(none)/fence/web", ScopeKey.From(copy));
        Assert.Equal("sidecar/shop/(none)", ScopeKey.From(ScopeIdentity.Shared(ProxyKind.Sidecar, "shop", null)));
        Assert.False(copy.SameAs(ScopeIdentity.Shared(ProxyKind.Sidecar, "shop", null)));
        Assert.Throws<ArgumentException>(() => ScopeIdentity.Shared(ProxyKind.Proxyless, "shop", null, "web"));
    }
}
