using Mesh.Grains.Dtos;

namespace Mesh.Grains.Catalog;

/// <summary>
/// A scope or workload on this silo that builds from the catalog: what it read (the hosts a scope
/// sees, or a router's destination hosts), so that a change is routed to exactly the grains it
/// affects. <see cref="Pending"/>: told to rebuild and not yet rebuilt, so further changes are not
/// told again (its next build reads them all).
/// </summary>
internal sealed class CatalogRegistration(string key, ScopeIdentity? scope, string ns)
{
    public string Key { get; } = key;

    /// <summary>The scope's identity; null for a workload.</summary>
    public ScopeIdentity? Scope { get; } = scope;

    /// <summary>The namespace whose config the grain reads (a workload's own, a scope's proxy namespace).</summary>
    public string Namespace { get; } = ns;

    public HashSet<string> Hosts { get; set; } = new(StringComparer.Ordinal);

    public bool Pending { get; set; }
}
