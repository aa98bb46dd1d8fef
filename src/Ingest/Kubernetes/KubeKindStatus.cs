using System.Collections.Immutable;
using Mesh.Model.Config;

namespace Mesh.Ingest.Kubernetes;

/// <summary>
/// One kind's informer as an operator sees it in <c>/debug/ingestz</c>: whether its first list is in,
/// the version served, objects held, the last resourceVersion seen, how often it listed, relisted
/// (and why) and re-opened its watch, and every object it rejects with the reason.
/// </summary>
public sealed record KubeKindStatus(
    string Kind,
    string? Version,
    bool Served,
    bool Synced,
    int Objects,
    string? ResourceVersion,
    long Lists,
    long Relists,
    long Watches,
    long WatchFailures,
    long Events,
    long EffectiveChanges,
    string? LastError,
    DateTimeOffset? LastEventAt,
    ImmutableArray<ConfigError> Rejected)
{
    /// <summary>Fields of this kind's served objects that Mesh does not translate.</summary>
    public ImmutableArray<ConfigError> Warnings { get; init; } = [];
}
