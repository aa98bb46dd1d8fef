using Mesh.Grains.Scope;
using Mesh.Model.Config;

namespace Mesh.Grains.Tests;

/// <summary>Where the silo catalog looks for what a scope sees: the namespaces a Sidecar's egress names, or all.</summary>
public sealed class ScopeInputsTests
{
    private static Sidecar Sidecar(params string[] hosts) => new(ObjectMeta.Of("default", "shop"), null, [new SidecarEgress(null, [.. hosts])]);

    [Fact]
    public void EgressNamespaces_AreTheNamedOnes_WithDotAsTheProxysOwn()
    {
        Assert.Equal(["shared", "shop"], ScopeInputs.EgressNamespaces(Sidecar("./*", "shared/*", "shop/web.shop.svc.cluster.local"), "shop")!.Order(StringComparer.Ordinal));
        Assert.Empty(ScopeInputs.EgressNamespaces(Sidecar("~/*"), "shop")!);
    }

    [Fact]
    public void EgressNamespaces_AreAll_WithoutASidecarOrWithAnyNamespaceHost()
    {
        Assert.Null(ScopeInputs.EgressNamespaces(null, "shop"));
        Assert.Null(ScopeInputs.EgressNamespaces(Sidecar("./*", "*/auth.shared.svc.cluster.local"), "shop"));
    }
}
