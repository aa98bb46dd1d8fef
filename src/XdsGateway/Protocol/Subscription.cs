using System.Collections.Immutable;

namespace Mesh.XdsGateway.Protocol;

/// <summary>
/// What a stream wants for one type: the wildcard (site-decided set, X-17) and/or explicit names.
/// </summary>
public sealed record Subscription(bool Wildcard, ImmutableHashSet<string> Names)
{
    /// <summary>The wildcard's resource name .</summary>
    public const string WildcardName = "*";

    public static readonly Subscription WildcardOnly = new(true, ImmutableHashSet<string>.Empty);
    public static readonly Subscription None = new(false, ImmutableHashSet<string>.Empty);

    public static Subscription Of(IEnumerable<string> names) => new(false, names.ToImmutableHashSet(StringComparer.Ordinal));
}
