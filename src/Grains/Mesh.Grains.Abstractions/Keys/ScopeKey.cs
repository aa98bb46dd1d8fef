using Mesh.Grains.Dtos;

namespace Mesh.Grains.Keys;

/// <summary>
/// Key of a <see cref="IScopeGrain"/>, made of what determines its content:
/// <c>sidecar/NAMESPACE/SIDECAR</c> and <c>proxyless/NAMESPACE/SIDECAR</c> (<c>(none)</c> when no
/// Sidecar applies), e.g. <c>sidecar/bookinfo/(none)</c>; <c>router/NAMESPACE/WORKLOAD/LABELS</c>
/// (<see cref="LabelsKey"/>: a router's Gateways select it by label); <c>router/NAMESPACE/(lazy-egress)</c> for the
/// lazy egress's replicas. A fenced sidecar's scope ends
/// in <c>/fence/SERVICE</c>, e.g. <c>sidecar/bookinfo/(none)/fence/productpage</c>.
/// </summary>
public static class ScopeKey
{
    /// <summary>The name part of a scope that no Sidecar resource applies to (not a valid resource name).</summary>
    public const string NoSidecar = "(none)";

    public static string From(ScopeIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var name = identity.IsLazyEgress
            ? ScopeIdentity.LazyEgressWorkload
            : identity.Kind == Model.Translation.ProxyKind.Router
            ? $"{identity.Workload}/{LabelsKey.Of(identity.Labels)}"
            : identity.Sidecar ?? NoSidecar;
        var fence = identity.Fence is { } f ? $"/fence/{f}" : "";
        return $"{identity.Kind.ToString().ToLowerInvariant()}/{identity.Namespace}/{name}{fence}";
    }
}
