using System.Diagnostics.Metrics;

namespace Mesh.Grains.Catalog;

/// <summary>The silo catalog's metrics, on the <c>Mesh.Grains</c> meter.</summary>
internal static class CatalogMetrics
{
    public static readonly Counter<long> Notifications = GrainMetrics.Meter.CreateCounter<long>(
        "mesh_catalog_notifications", description: "Scopes and workloads the silo catalog told to rebuild, by target (scope, workload).");

    private static SiloCatalog? _catalog;

    static CatalogMetrics()
    {
        GrainMetrics.Meter.CreateObservableGauge("mesh_catalog_services", () => _catalog?.Counts.Services ?? 0,
            description: "Service definitions in this silo's catalog.");
        GrainMetrics.Meter.CreateObservableGauge("mesh_catalog_namespaces", () => _catalog?.Counts.Namespaces ?? 0,
            description: "Namespaces in this silo's catalog.");
        GrainMetrics.Meter.CreateObservableGauge("mesh_catalog_registrations", () => new[]
        {
            new Measurement<int>(_catalog?.Counts.Scopes ?? 0, new KeyValuePair<string, object?>("kind", "scope")),
            new Measurement<int>(_catalog?.Counts.Workloads ?? 0, new KeyValuePair<string, object?>("kind", "workload")),
        }, description: "Scopes and workloads on this silo that build from its catalog.");
    }

    public static void Register(SiloCatalog catalog) => _catalog = catalog;
}
