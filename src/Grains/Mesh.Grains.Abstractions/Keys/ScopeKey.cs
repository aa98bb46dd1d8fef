using Mesh.Model.Translation;

namespace Mesh.Grains.Keys;

/// <summary>
/// Key of a <see cref="IScopeGrain"/>: <c>KIND/NAMESPACE/WORKLOAD</c>, e.g. <c>sidecar/bookinfo/reviews-v1</c>.
/// Every proxy of one workload shares the scope.
/// </summary>
public static class ScopeKey
{
    public static string From(ProxyKind kind, string ns, string workload) =>
        $"{kind.ToString().ToLowerInvariant()}/{ns}/{workload}";
}
