using System.Collections.Immutable;
using Mesh.Model.Translation;

namespace Mesh.XdsGateway.Protocol;

/// <summary>
/// The resources a proxy should hold for one type, as of now. When <see cref="Complete"/> is false
/// some of the set is still being fetched: a SotW LDS/CDS response must not be sent,
/// since a partial set deletes resources on the client. <see cref="Resources"/> is keyed by name and
/// holds exactly what the stream's subscription selects.
/// </summary>
/// <remarks>
/// Immutable, and shared: the gateway hands the same instance to every stream whose set is equal,
/// so what is derived from it (<see cref="Version"/>, <see cref="ChangedSince"/>) is computed once
/// per set, not once per stream.
/// </remarks>
public sealed class ResolvedResources(bool complete, ImmutableSortedDictionary<string, XdsResource> resources)
{
    public static readonly ResolvedResources Empty = new(true, ImmutableSortedDictionary<string, XdsResource>.Empty.WithComparers(StringComparer.Ordinal));

    private string? _version;
    private Diff? _lastDiff;

    private Removal? _lastRemoved;

    // Records, not tuples: streams on other threads read these while one replaces them, and a
    // reference is swapped whole.
    private sealed record Diff(ResolvedResources? Since, IReadOnlyList<XdsResource> Changed);

    private sealed record Removal(ResolvedResources Since, ImmutableArray<string> Removed);

    public bool Complete { get; } = complete;

    public ImmutableSortedDictionary<string, XdsResource> Resources { get; } = resources;

    /// <summary>The set's version: a hash over every name and version (the response's version_info).</summary>
    public string Version => _version ??= ContentHash.OfOrderedVersions(Resources.Select(r => KeyValuePair.Create(r.Key, r.Value.Version)));

    /// <summary>
    /// The resources that are new or have another version than in <paramref name="previous"/> (all
    /// of them when it is null). The answer for the last <paramref name="previous"/> asked is kept:
    /// every stream moving from one shared set to the next asks the same question.
    /// </summary>
    public IReadOnlyList<XdsResource> ChangedSince(ResolvedResources? previous)
    {
        if (_lastDiff is { } d && ReferenceEquals(d.Since, previous))
        {
            return d.Changed;
        }
        IReadOnlyList<XdsResource> changed = previous is null
            ? [.. Resources.Values]
            : [.. Resources.Values.Where(r => !previous.Resources.TryGetValue(r.Name, out var old) || old.Version != r.Version)];
        _lastDiff = new Diff(previous, changed);
        return changed;
    }

    /// <summary>
    /// The names in <paramref name="previous"/> that this set lacks, in ordinal order; kept for the
    /// last <paramref name="previous"/> asked, like <see cref="ChangedSince"/>.
    /// </summary>
    public ImmutableArray<string> RemovedSince(ResolvedResources previous)
    {
        ArgumentNullException.ThrowIfNull(previous);
        if (_lastRemoved is { } r && ReferenceEquals(r.Since, previous))
        {
            return r.Removed;
        }
        ImmutableArray<string> removed = [.. previous.Resources.Keys.Where(n => !Resources.ContainsKey(n))];
        _lastRemoved = new Removal(previous, removed);
        return removed;
    }

    /// <summary>Same completeness and the same names at the same versions.</summary>
    public bool SameContent(ResolvedResources other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Complete != other.Complete || Resources.Count != other.Resources.Count)
        {
            return false;
        }
        foreach (var (name, r) in Resources)
        {
            if (!other.Resources.TryGetValue(name, out var o) || o.Version != r.Version)
            {
                return false;
            }
        }
        return true;
    }
}
