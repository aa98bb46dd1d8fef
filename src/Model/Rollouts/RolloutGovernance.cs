using System.Collections.Immutable;
using Mesh.Model.Config;

namespace Mesh.Model.Rollouts;

/// <summary>
/// Which RolloutPolicy governs a change to one object: a policy of the object's own namespace
/// before a mesh-wide one (a policy in the mesh's system namespace), and among several that
/// select it the first by name. A policy selects an object when the object's kind is among its
/// kinds (none given: every governable kind), its name among its names (none given: any) and its
/// labels carry its matchLabels.
/// </summary>
public static class RolloutGovernance
{
    public const string DefaultSystemNamespace = "mesh-system";

    public static bool Selects(RolloutPolicy policy, ConfigKind kind, string name, IReadOnlyDictionary<string, string> labels)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(labels);
        var selector = policy.Selector;
        if (!RolloutPolicy.GovernableKinds.Contains(kind) || (!selector.Kinds.IsEmpty && !selector.Kinds.Contains(kind)))
        {
            return false;
        }
        if (!selector.Names.IsEmpty && !selector.Names.Contains(name, StringComparer.Ordinal))
        {
            return false;
        }
        return selector.MatchLabels.Matches(labels);
    }

    /// <summary>The policy that governs a change to <paramref name="obj"/>, or null when it goes live at once.</summary>
    public static RolloutPolicy? PolicyFor(ConfigObject obj, IEnumerable<RolloutPolicy> policies, string systemNamespace = DefaultSystemNamespace)
    {
        ArgumentNullException.ThrowIfNull(obj);
        ArgumentNullException.ThrowIfNull(policies);
        RolloutPolicy? own = null, meshWide = null;
        foreach (var p in policies)
        {
            if (!Selects(p, obj.Kind, obj.Meta.Name, obj.Meta.Labels))
            {
                continue;
            }
            if (p.Meta.Namespace == obj.Meta.Namespace && (own is null || string.CompareOrdinal(p.Meta.Name, own.Meta.Name) < 0))
            {
                own = p;
            }
            else if (p.Meta.Namespace == systemNamespace && (meshWide is null || string.CompareOrdinal(p.Meta.Name, meshWide.Meta.Name) < 0))
            {
                meshWide = p;
            }
        }
        return own ?? meshWide;
    }

    /// <summary>The policy that governs a change of any of <paramref name="objects"/> (in order: the first one governed decides), or null.</summary>
    public static RolloutPolicy? PolicyForAny(IEnumerable<ConfigObject> objects, IReadOnlyCollection<RolloutPolicy> policies, string systemNamespace = DefaultSystemNamespace)
    {
        ArgumentNullException.ThrowIfNull(objects);
        ArgumentNullException.ThrowIfNull(policies);
        return policies.Count == 0 ? null : objects.Select(o => PolicyFor(o, policies, systemNamespace)).FirstOrDefault(p => p is not null);
    }

    /// <summary>The policies that select no object of <paramref name="objects"/>: each is worth a warning (it governs nothing yet).</summary>
    public static ImmutableArray<RolloutPolicy> Idle(IEnumerable<RolloutPolicy> policies, IReadOnlyCollection<ConfigObject> objects, string systemNamespace = DefaultSystemNamespace)
    {
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(objects);
        return [.. policies.Where(p => !objects.Any(o =>
            (o.Meta.Namespace == p.Meta.Namespace || p.Meta.Namespace == systemNamespace) && Selects(p, o.Kind, o.Meta.Name, o.Meta.Labels)))];
    }
}
