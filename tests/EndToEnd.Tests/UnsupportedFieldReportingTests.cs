using System.Text.Json;
using Mesh.EndToEnd.Tests.Harness;
using Mesh.EndToEnd.Tests.Support;

namespace Mesh.EndToEnd.Tests;

/// <summary>
/// Issue 15 item 5: a field Mesh does not translate is a warning on its object in
/// <c>/debug/ingestz</c> and a count in <c>mesh_config_unsupported_fields_total</c>; the object is
/// still served with the rest, and a fixed manifest clears its warning.
/// </summary>
[Trait("Category", "Functional")]
public sealed class UnsupportedFieldReportingTests
{
    [Fact(Timeout = 120_000)]
    public async Task UntranslatedFields_AreWarnedAndCounted_TheObjectIsServed_AndTheWarningClearsWhenFixed()
    {
        using var manifests = new TempManifestDir();
        manifests.Write("ratings.yaml", """
            apiVersion: v1
            kind: Service
            metadata: {name: ratings, namespace: shop}
            spec: {clusterIP: 10.96.3.3, ports: [{name: http, port: 80}]}
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: ratings, namespace: shop}
            spec:
              hosts: [ratings]
              exportTo: ["."]
              http:
              - timeout: 7s
                route: [{destination: {host: ratings}}]
            """);
        await using var mesh = await InProcessMesh.StartAsync(manifests.Path);

        var warning = await WarningAsync(mesh, "spec.exportTo");
        Assert.NotNull(warning);
        Assert.Equal(("VirtualService", "shop", "ratings"), (warning.Value.GetProperty("kind").GetString(), warning.Value.GetProperty("namespace").GetString(), warning.Value.GetProperty("name").GetString()));
        Assert.Contains("not translated by Mesh", warning.Value.GetProperty("reason").GetString(), StringComparison.Ordinal);
        var metrics = await mesh.GetAsync("/metrics");
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("mesh_config_unsupported_fields_total{", StringComparison.Ordinal)
            && l.Contains("field=\"spec.exportTo\"", StringComparison.Ordinal) && l.Contains("kind=\"VirtualService\"", StringComparison.Ordinal)
            && l.Contains("clients=\"all\"", StringComparison.Ordinal));
        using (var ingestz = JsonDocument.Parse(await mesh.GetAsync("/debug/ingestz")))
        {
            Assert.Empty(ingestz.RootElement.GetProperty("errors").EnumerateArray()); // a warning, not a rejection
            Assert.Equal(1, ingestz.RootElement.GetProperty("objectsByKind").GetProperty("VirtualService").GetInt32());
        }

        manifests.Write("ratings.yaml", File.ReadAllText(Path.Combine(manifests.Path, "ratings.yaml"))
            .Replace("  exportTo: [\".\"]\n", "", StringComparison.Ordinal));
        await Eventually.UntilAsync("the warning to clear once spec.exportTo is removed", TimeSpan.FromSeconds(30),
            () => WarningAsync(mesh, "spec.exportTo"), w => w is null);
    }

    private static async Task<JsonElement?> WarningAsync(InProcessMesh mesh, string field)
    {
        using var ingestz = JsonDocument.Parse(await mesh.GetAsync("/debug/ingestz"));
        foreach (var w in ingestz.RootElement.GetProperty("warnings").EnumerateArray())
        {
            if (w.GetProperty("field").GetString() == field)
            {
                return w.Clone();
            }
        }
        return null;
    }
}
