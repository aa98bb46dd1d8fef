using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Mesh.Model.Translation;

namespace Mesh.Grains.Service;

/// <summary>
/// The resources a service owns, keyed by (type, name), and the diff between two sets: what a
/// gateway must be told after a rebuild.
/// </summary>
internal sealed class ServiceResourceSet
{
    private readonly Dictionary<ResourceId, XdsResource> _byId = [];
    private string? _version;

    public IEnumerable<XdsResource> All => _byId.Values;

    /// <summary>
    /// <see cref="ServiceSnapshot.VersionOf"/> of the set, kept until it changes: every gateway's
    /// lease renewal compares it, once a minute for each service it holds.
    /// </summary>
    public string Version => _version ??= ServiceSnapshot.VersionOf(_byId.Values);

    public int Count => _byId.Count;

    /// <summary>Replaces every resource of the given types with <paramref name="resources"/> and returns the change.</summary>
    public (ImmutableArray<XdsResource> Updated, ImmutableArray<ResourceId> Removed) Replace(
        IReadOnlySet<string> typeUrls, IEnumerable<XdsResource> resources)
    {
        var updated = ImmutableArray.CreateBuilder<XdsResource>();
        var seen = new HashSet<ResourceId>();
        foreach (var r in resources)
        {
            var id = ResourceId.Of(r);
            seen.Add(id);
            if (!_byId.TryGetValue(id, out var old) || old.Version != r.Version)
            {
                _byId[id] = r;
                updated.Add(r);
            }
        }
        var removed = _byId.Keys.Where(id => typeUrls.Contains(id.TypeUrl) && !seen.Contains(id)).ToImmutableArray();
        foreach (var id in removed)
        {
            _byId.Remove(id);
        }
        if (updated.Count > 0 || removed.Length > 0)
        {
            _version = null;
        }
        return (updated.ToImmutable(), removed);
    }
}
