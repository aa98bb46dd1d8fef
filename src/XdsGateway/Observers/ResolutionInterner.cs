using Mesh.XdsGateway.Protocol;

namespace Mesh.XdsGateway.Observers;

/// <summary>
/// Makes equal resolutions one instance across a gateway's streams: 20,000 sidecars of one scope
/// hold one resolved set per type instead of 20,000 copies, and what streams derive from a set
/// (its version hash, the diff from the previous set) is computed once.
/// </summary>
internal sealed class ResolutionInterner
{
    private readonly WeakInterner<(string TypeUrl, bool Complete, string Version), ResolvedResources> _sets = new((a, b) => a.SameContent(b));

    /// <summary>Entries in the table, live or not yet swept.</summary>
    internal int Count => _sets.Count;

    /// <summary>The shared instance equal to <paramref name="resolved"/>; <paramref name="resolved"/> itself if it is the first.</summary>
    public ResolvedResources Intern(string typeUrl, ResolvedResources resolved)
    {
        ArgumentNullException.ThrowIfNull(resolved);
        // The version is a 64-bit hash of names and versions; SameContent rules out a collision.
        return _sets.Intern((typeUrl, resolved.Complete, resolved.Version), resolved);
    }
}
