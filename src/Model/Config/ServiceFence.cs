using System.Collections.Immutable;

namespace Mesh.Model.Config;

/// <summary>
/// Slime's <c>ServiceFence</c> (lazy loading), accepted unchanged from either of Slime's API groups.
/// <c>metadata.name</c> names the Service whose workloads are fenced; with <see cref="Enable"/> those
/// workloads are served only what the fence admits: its <see cref="Hosts"/>, the services of the
/// namespaces in <see cref="NamespaceSelector"/>, the services matching one of
/// <see cref="LabelSelector"/> (OR between selectors, AND inside one), what learning adds, and
/// where VirtualServices send those; every other call goes to the lazy egress.
/// </summary>
/// <param name="Meta">Name: the fenced Service; namespace: its namespace.</param>
/// <param name="ApiVersion">The group/version the object came in (<c>microservice.slime.io/v1alpha1</c> or <c>microservice.netease.com/v1alpha1</c>); status is written back to it.</param>
/// <param name="Enable">Whether the fence is in force (Slime: render it into the proxy's config).</param>
/// <param name="Hosts">Static and time-limited dependencies: an FQDN or <c>namespace/*</c>, with how it is recycled.</param>
/// <param name="NamespaceSelector">Namespace names whose every service is a static dependency.</param>
/// <param name="LabelSelector">Service label selectors whose matches are static dependencies.</param>
/// <param name="WorkloadSelector">Which workloads are fenced; null: the Service's own selector (Slime's default).</param>
public sealed record ServiceFence(
    ObjectMeta Meta,
    string ApiVersion,
    bool Enable,
    ImmutableSortedDictionary<string, FenceHostPolicy> Hosts,
    ImmutableArray<string> NamespaceSelector,
    ImmutableArray<ImmutableSortedDictionary<string, string>> LabelSelector,
    FenceWorkloadSelector? WorkloadSelector) : ConfigObject(Meta)
{
    /// <summary>The API groups Slime has published the kind under (the older one is still in use).</summary>
    public static readonly ImmutableArray<string> ApiVersions = ["microservice.slime.io/v1alpha1", "microservice.netease.com/v1alpha1"];

    /// <summary>Slime's label that switches lazy loading on for a Service, or every Service of a namespace, without a fence object.</summary>
    public const string FencedLabel = "slime.io/serviceFenced";

    public override ConfigKind Kind => ConfigKind.ServiceFence;
}

/// <summary>How a fence host is recycled (Slime's <c>RecyclingStrategy</c>).</summary>
public enum FenceRecycling
{
    /// <summary>No strategy given (<c>host: {}</c>): kept like <see cref="Stable"/>.</summary>
    Unspecified,

    /// <summary>Never expires.</summary>
    Stable,

    /// <summary>Expires at <see cref="FenceHostPolicy.Expire"/>.</summary>
    Deadline,

    /// <summary>Kept while called: expires after two quiet periods (learned hosts).</summary>
    RecentlyCalled,

    /// <summary>Slime's deprecated <c>auto</c>: expires after <see cref="FenceHostPolicy.Duration"/> without calls.</summary>
    Auto,
}

/// <summary>One fence host's strategy; <paramref name="Expire"/> for a deadline, <paramref name="Duration"/> for auto, <paramref name="LastCalled"/> for recently called.</summary>
public sealed record FenceHostPolicy(FenceRecycling Recycling, DateTimeOffset? Expire = null, TimeSpan? Duration = null, DateTimeOffset? LastCalled = null)
{
    public static readonly FenceHostPolicy Static = new(FenceRecycling.Stable);

    /// <summary>True when the host never expires on its own.</summary>
    public bool IsStatic => Recycling is FenceRecycling.Stable or FenceRecycling.Unspecified;
}

/// <summary>
/// Slime's <c>workloadSelector</c>: <paramref name="Labels"/> (when not empty) select the fenced
/// workloads; otherwise <paramref name="FromService"/> true takes the Service's selector and false
/// the label <c>app: SERVICE</c> (Slime's default <c>global.service</c> label).
/// </summary>
public sealed record FenceWorkloadSelector(bool FromService, ImmutableSortedDictionary<string, string> Labels);
