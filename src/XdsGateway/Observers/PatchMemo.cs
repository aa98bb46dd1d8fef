using Mesh.Model.Translation;
using Mesh.XdsGateway.Protocol;

namespace Mesh.XdsGateway.Observers;

/// <summary>
/// Patched resolutions for one notification, keyed by (shared baseline, type, scope, rollout cohort,
/// client quirks and locality, changed names): the first stream holding a baseline computes the patch, every other stream
/// holding it in the same cohort reuses it (two cohorts may hold one set and still patch a
/// name to different variants). Lives for one notification and is used from one thread.
/// </summary>
internal sealed class PatchMemo() : Dictionary<(ResolvedResources Baseline, string TypeUrl, ScopeEntry? Scope, RolloutCohort Cohort, ClientQuirks Quirks, Model.Services.Locality Locality, string Names), ResolvedResources?>(KeyComparer.Instance)
{
    private sealed class KeyComparer : IEqualityComparer<(ResolvedResources Baseline, string TypeUrl, ScopeEntry? Scope, RolloutCohort Cohort, ClientQuirks Quirks, Model.Services.Locality Locality, string Names)>
    {
        public static readonly KeyComparer Instance = new();

        public bool Equals((ResolvedResources Baseline, string TypeUrl, ScopeEntry? Scope, RolloutCohort Cohort, ClientQuirks Quirks, Model.Services.Locality Locality, string Names) x, (ResolvedResources Baseline, string TypeUrl, ScopeEntry? Scope, RolloutCohort Cohort, ClientQuirks Quirks, Model.Services.Locality Locality, string Names) y) =>
            ReferenceEquals(x.Baseline, y.Baseline) && ReferenceEquals(x.Scope, y.Scope) && ReferenceEquals(x.Cohort, y.Cohort) && x.Quirks == y.Quirks && x.Locality.Equals(y.Locality)
            && string.Equals(x.TypeUrl, y.TypeUrl, StringComparison.Ordinal) && string.Equals(x.Names, y.Names, StringComparison.Ordinal);

        public int GetHashCode((ResolvedResources Baseline, string TypeUrl, ScopeEntry? Scope, RolloutCohort Cohort, ClientQuirks Quirks, Model.Services.Locality Locality, string Names) obj) =>
            HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj.Baseline), obj.Scope is null ? 0 : System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj.Scope),
                System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj.Cohort), HashCode.Combine(obj.Quirks, obj.Locality), StringComparer.Ordinal.GetHashCode(obj.TypeUrl), StringComparer.Ordinal.GetHashCode(obj.Names));
    }
}
