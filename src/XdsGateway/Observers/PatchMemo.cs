using Mesh.XdsGateway.Protocol;

namespace Mesh.XdsGateway.Observers;

/// <summary>
/// Patched resolutions for one notification, keyed by (shared baseline, type, scope and changed names): the
/// first stream holding a baseline computes the patch, every other stream holding it reuses it.
/// Lives for one notification and is used from one thread.
/// </summary>
internal sealed class PatchMemo() : Dictionary<(ResolvedResources Baseline, string TypeUrl, string ScopeAndNames), ResolvedResources?>(KeyComparer.Instance)
{
    private sealed class KeyComparer : IEqualityComparer<(ResolvedResources Baseline, string TypeUrl, string ScopeAndNames)>
    {
        public static readonly KeyComparer Instance = new();

        public bool Equals((ResolvedResources Baseline, string TypeUrl, string ScopeAndNames) x, (ResolvedResources Baseline, string TypeUrl, string ScopeAndNames) y) =>
            ReferenceEquals(x.Baseline, y.Baseline) && string.Equals(x.TypeUrl, y.TypeUrl, StringComparison.Ordinal) && string.Equals(x.ScopeAndNames, y.ScopeAndNames, StringComparison.Ordinal);

        public int GetHashCode((ResolvedResources Baseline, string TypeUrl, string ScopeAndNames) obj) =>
            HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj.Baseline), StringComparer.Ordinal.GetHashCode(obj.TypeUrl), StringComparer.Ordinal.GetHashCode(obj.ScopeAndNames));
    }
}
