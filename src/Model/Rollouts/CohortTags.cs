namespace Mesh.Model.Rollouts;

/// <summary>
/// Names of the sets of staged rollouts a proxy can be in at once. A scope resource that two
/// rollouts' candidates both change (a port's route holding both hosts' virtual hosts) gets a
/// variant per set — tagged with the set's ids in ordinal order joined by <c>+</c> — and a proxy takes
/// the variant of the largest set its cohorts hold. Up to <see cref="MaxCombined"/> rollouts seen by
/// one scope are combined in every way; beyond that only each rollout alone (its variant, never
/// another's: a proxy never gets a candidate its cohorts do not hold).
/// </summary>
public static class CohortTags
{
    public const int MaxCombined = 4;

    public static string Tag(IEnumerable<string> rollouts) => string.Join('+', rollouts.Order(StringComparer.Ordinal));

    /// <summary>Every non-empty subset of <paramref name="rollouts"/> (ordinal order inside each), larger sets first; only singletons past <see cref="MaxCombined"/>.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> Subsets(IReadOnlyList<string> rollouts)
    {
        ArgumentNullException.ThrowIfNull(rollouts);
        var sorted = rollouts.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (sorted.Count > MaxCombined)
        {
            return [.. sorted.Select(r => (IReadOnlyList<string>)[r])];
        }
        var sets = new List<IReadOnlyList<string>>();
        for (var mask = 1; mask < 1 << sorted.Count; mask++)
        {
            sets.Add([.. sorted.Where((_, i) => (mask & (1 << i)) != 0)]);
        }
        return [.. sets.OrderByDescending(s => s.Count).ThenBy(s => Tag(s), StringComparer.Ordinal)];
    }
}
