using Mesh.Model.Translation;

namespace Mesh.Model.Rollouts;

/// <summary>
/// What a staged rollout's candidate adds to a set of built resources: its own version of each
/// resource whose content differs from the baseline's (or that only the candidate has), tagged with
/// the rollout, and an absence marker for each baseline resource the candidate lacks. Everything
/// the candidate leaves as it is exists once.
/// </summary>
public static class CandidateVariants
{
    public static IEnumerable<XdsResource> Of(IEnumerable<XdsResource> baseline, IEnumerable<XdsResource> candidate, string rollout)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(candidate);
        var byId = new Dictionary<(string, string), XdsResource>();
        foreach (var b in baseline)
        {
            byId[(b.TypeUrl, b.Name)] = b;
        }
        var seen = new HashSet<(string, string)>();
        foreach (var r in candidate)
        {
            seen.Add((r.TypeUrl, r.Name));
            if (!byId.TryGetValue((r.TypeUrl, r.Name), out var b) || b.Version != r.Version)
            {
                yield return r with { Rollout = rollout };
            }
        }
        foreach (var b in byId.Values.Where(b => !seen.Contains((b.TypeUrl, b.Name))))
        {
            yield return XdsResource.Absent(b.TypeUrl, b.Name, rollout);
        }
    }
}
