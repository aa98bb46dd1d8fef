namespace Mesh.Testing.Kubernetes;

/// <summary>
/// The kinds the server knows and which of their versions it serves right now. Stopping a version
/// is "the CRD is not installed": its URLs answer 404 and discovery leaves it out; storage is untouched.
/// </summary>
internal sealed class KubeResourceRegistry(IReadOnlyList<KubeResourceType> types)
{
    private readonly Lock _gate = new();
    private readonly HashSet<(KubeResourceType Type, string Version)> _stopped = [];

    public IReadOnlyList<KubeResourceType> Types { get; } = types;

    /// <summary>The type with this Kind (or plural); throws naming the known kinds otherwise.</summary>
    public KubeResourceType ByKind(string kind, string? group = null) =>
        Types.FirstOrDefault(t => t.Kind == kind && (group is null || t.Group == group)) ?? Types.FirstOrDefault(t => t.Plural == kind)
        ?? throw new ArgumentException($"Kind '{kind}' is not served; known kinds: {string.Join(", ", Types.Select(t => t.Kind))}.", nameof(kind));

    /// <summary>The type at <c>group/version/plural</c> if that version is served now.</summary>
    public KubeResourceType? Resolve(string group, string version, string plural)
    {
        var type = Types.FirstOrDefault(t => t.Group == group && t.Plural == plural && t.Versions.Contains(version));
        return type is not null && IsServed(type, version) ? type : null;
    }

    public bool IsServed(KubeResourceType type, string version)
    {
        lock (_gate)
        {
            return !_stopped.Contains((type, version));
        }
    }

    public void SetServed(KubeResourceType type, string? version, bool served)
    {
        lock (_gate)
        {
            foreach (var v in version is null ? type.Versions.AsEnumerable() : [version])
            {
                if (!type.Versions.Contains(v))
                {
                    throw new ArgumentException($"{type.Kind} has no version '{v}'; it has {string.Join(", ", type.Versions)}.", nameof(version));
                }

                _ = served ? _stopped.Remove((type, v)) : _stopped.Add((type, v));
            }
        }
    }
}
