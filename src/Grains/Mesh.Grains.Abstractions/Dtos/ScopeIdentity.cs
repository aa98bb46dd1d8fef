using System.Collections.Immutable;
using Mesh.Model.Translation;

namespace Mesh.Grains.Dtos;

/// <summary>
/// What determines a scope's content, and so its key: the proxy kind and namespace, and for
/// sidecars and proxyless clients the Sidecar resource that applies (<see cref="Sidecar"/>, null for
/// none), so every workload with equal inputs shares one scope (Istio's SidecarScope is per Sidecar
/// resource). A router's Gateways select it by label, so a router scope is per workload
/// (<see cref="Workload"/>, <see cref="Labels"/>). A fenced sidecar's scope also names its
/// ServiceFence (<see cref="Fence"/>, the fenced Service's name): workloads under one fence share it.
/// </summary>
[GenerateSerializer, Immutable, Alias("mesh.ScopeIdentity")]
public sealed record ScopeIdentity(
    [property: Id(0)] ProxyKind Kind,
    [property: Id(1)] string Namespace,
    [property: Id(2)] string? Sidecar,
    [property: Id(3)] string? Workload,
    [property: Id(4)] ImmutableSortedDictionary<string, string> Labels,
    [property: Id(5)] string? Fence = null)
{
    /// <summary>A sidecar's or proxyless client's scope: namespace, the Sidecar that applies (null: none) and, for a sidecar, the ServiceFence that fences it (null: none).</summary>
    public static ScopeIdentity Shared(ProxyKind kind, string ns, string? sidecar, string? fence = null) =>
        kind switch
        {
            ProxyKind.Router => throw new ArgumentException("a router scope is per workload; use ForRouter", nameof(kind)),
            ProxyKind.Proxyless when fence is not null => throw new ArgumentException("proxyless clients are lazy by nature and never fenced", nameof(fence)),
            _ => new(kind, ns, sidecar, null, ImmutableSortedDictionary<string, string>.Empty, fence),
        };

    /// <summary>The key of the fence grain of a fenced scope (<c>NAMESPACE/SERVICE</c>), null when not fenced.</summary>
    public string? FenceKey => Fence is { } service ? Keys.FenceKey.From(Namespace, service) : null;

    /// <summary>Equal field by field, labels by content (record equality compares the dictionary by reference).</summary>
    public bool SameAs(ScopeIdentity? other) =>
        other is not null && Kind == other.Kind && Namespace == other.Namespace && Sidecar == other.Sidecar
        && Fence == other.Fence && Workload == other.Workload && Labels.SequenceEqual(other.Labels);

    /// <summary>The workload part of the lazy egress's scope key (not a valid workload name).</summary>
    public const string LazyEgressWorkload = "(lazy-egress)";

    /// <summary>
    /// The scope of the lazy egress of <paramref name="ns"/>: a router whose workload the lazy egress
    /// service selects, served the full outbound config its namespace sees (every replica shares it).
    /// </summary>
    public static ScopeIdentity ForLazyEgress(string ns) =>
        new(ProxyKind.Router, ns, null, LazyEgressWorkload, ImmutableSortedDictionary<string, string>.Empty);

    /// <summary>This is a lazy egress's scope (<see cref="ForLazyEgress"/>).</summary>
    public bool IsLazyEgress => Kind == ProxyKind.Router && Workload == LazyEgressWorkload;

    /// <summary>A router's scope: its workload and labels (which Gateways select it).</summary>
    public static ScopeIdentity ForRouter(string ns, string workload, ImmutableSortedDictionary<string, string> labels) =>
        new(ProxyKind.Router, ns, null, workload, labels);
}
