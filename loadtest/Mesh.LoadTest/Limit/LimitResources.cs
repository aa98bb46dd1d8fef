using Mesh.Ingest.Manifests;
using Mesh.Ingest.Registry;
using Mesh.Model.Translation;

namespace Mesh.LoadTest.Limit;

/// <summary>
/// What a sidecar that sees every service of a manifest directory holds (the load mesh's
/// <c>app=client</c> proxies), built with the pure builders the grains use: outbound and own
/// clusters, every load assignment, and the scope's listeners and routes.
/// </summary>
internal static class LimitResources
{
    public static IReadOnlyList<XdsResource> FromManifests(string dir, string proxyNamespace, MeshSettings? settings = null)
    {
        settings ??= MeshSettings.Default;
        var (objects, errors, _) = new ManifestSet().Update(dir, ManifestSet.Scan(dir));
        if (!errors.IsEmpty)
        {
            throw new InvalidOperationException($"manifests in {dir} are invalid: " + string.Join("; ", errors));
        }
        var inputs = RegistryCompiler.Compile(objects, settings).Services.Values.Select(s => s.ToTranslationInput(settings)).ToList();
        var scope = ListenerBuilder.BuildSidecar(new ScopeView(proxyNamespace, [.. inputs.Select(ScopeService.From)], [], settings));
        return [
            .. inputs.SelectMany(i => ClusterBuilder.BuildOutbound(i)),
            .. scope.OwnClusters,
            .. inputs.SelectMany(i => EndpointBuilder.Build(i)),
            .. scope.Listeners,
            .. scope.Routes,
        ];
    }
}
