using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Mesh.Model.Services;
using Mesh.Model.Translation;

namespace Mesh.LoadTest;

/// <summary>
/// <c>lazy-size</c>: the config one sidecar is served in full mode and in lazy mode, in a generated
/// mesh of S services × E endpoints where each workload calls C others, built with the pure builders
/// the grains serve from (listeners and routes of the scope, the clusters and EDS of every service it
/// holds, the sidecar's own passthrough/blackhole). Reports bytes per xDS type and Envoy's memory
/// estimate (40.6 KB per cluster + 1.4 KB per endpoint, the figures the issue quotes) side by side.
/// It measures what is built for a proxy, not what crosses a stream: the two are the same resources,
/// but transport framing and per-stream state are not in it.
/// </summary>
internal static class LazySize
{
    private const double ClusterKb = 40.6;
    private const double EndpointKb = 1.4;

    internal sealed record Sizes(int Clusters, int Endpoints, long ListenerBytes, long RouteBytes, long ClusterBytes, long EndpointBytes)
    {
        public long Bytes => ListenerBytes + RouteBytes + ClusterBytes + EndpointBytes;

        public double EnvoyMb => ((Clusters * ClusterKb) + (Endpoints * EndpointKb)) / 1024.0;
    }

    public static int Run(int services, int endpoints, int calls, string resultsDir)
    {
        var settings = MeshSettings.Default;
        var inputs = new List<ServiceTranslationInput>(services + 1);
        for (var i = 0; i < services; i++)
        {
            inputs.Add(Input($"s{i}", "lt", i, endpoints, settings));
        }
        inputs.Add(Input("mesh-lazy-egress", "mesh-system", services, 2, settings));
        var built = inputs.ToDictionary(
            i => i.Service.Hostname,
            i => (Scope: ScopeService.From(i), Clusters: ClusterBuilder.BuildOutbound(i), Eds: EndpointBuilder.Build(i), Endpoints: i.Endpoints.Length),
            StringComparer.Ordinal);

        var full = Measure(new ScopeView("lt", [.. built.Values.Select(b => b.Scope)], [], settings), built);
        // Workload s0 calls s1..sC; its fence holds them and the egress.
        var fenced = Enumerable.Range(1, calls).Select(i => $"s{i % services}.lt.svc.cluster.local").Append(settings.LazyEgress).ToList();
        var lazy = Measure(new ScopeView("lt", [.. fenced.Select(h => built[h].Scope)], [], settings, "lt/s0"), built);

        var stem = $"lazy-size-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}";
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# lazy-size: {services} services × {endpoints} endpoints, each workload calls {calls}");
        md.AppendLine();
        md.AppendLine("| per sidecar | full mode | lazy mode | lazy / full |");
        md.AppendLine("| --- | ---: | ---: | ---: |");
        Row(md, "clusters", full.Clusters, lazy.Clusters);
        Row(md, "endpoints", full.Endpoints, lazy.Endpoints);
        Row(md, "LDS bytes", full.ListenerBytes, lazy.ListenerBytes);
        Row(md, "RDS bytes", full.RouteBytes, lazy.RouteBytes);
        Row(md, "CDS bytes", full.ClusterBytes, lazy.ClusterBytes);
        Row(md, "EDS bytes", full.EndpointBytes, lazy.EndpointBytes);
        Row(md, "config bytes", full.Bytes, lazy.Bytes);
        md.AppendLine(CultureInfo.InvariantCulture, $"| Envoy memory estimate (MB) | {full.EnvoyMb:F1} | {lazy.EnvoyMb:F2} | {lazy.EnvoyMb / full.EnvoyMb:P3} |");
        Directory.CreateDirectory(resultsDir);
        File.WriteAllText(Path.Combine(resultsDir, stem + ".md"), md.ToString());
        File.WriteAllText(Path.Combine(resultsDir, stem + ".json"), System.Text.Json.JsonSerializer.Serialize(new { services, endpoints, calls, full, lazy }));
        Console.Write(md.ToString());
        Console.WriteLine($"report: {Path.Combine(resultsDir, stem + ".md")}");
        return lazy.Bytes * 100 <= full.Bytes ? 0 : 1;
    }

    private static void Row(StringBuilder md, string what, long full, long lazy) =>
        md.AppendLine(CultureInfo.InvariantCulture, $"| {what} | {full:N0} | {lazy:N0} | {(full == 0 ? 0 : (double)lazy / full):P3} |");

    private static Sizes Measure(ScopeView view, Dictionary<string, (ScopeService Scope, ImmutableArray<XdsResource> Clusters, ImmutableArray<XdsResource> Eds, int Endpoints)> built)
    {
        var scope = ListenerBuilder.BuildSidecarOutbound(view);
        var held = view.Services.Select(s => built[s.Hostname]).ToList();
        return new Sizes(
            scope.ClusterNames.Length,
            held.Sum(h => h.Endpoints),
            scope.Listeners.Sum(l => (long)l.Body.Length),
            scope.Routes.Sum(r => (long)r.Body.Length),
            scope.OwnClusters.Sum(c => (long)c.Body.Length) + held.Sum(h => h.Clusters.Sum(c => (long)c.Body.Length)),
            held.Sum(h => h.Eds.Sum(e => (long)e.Body.Length)));
    }

    private static ServiceTranslationInput Input(string name, string ns, int index, int endpoints, MeshSettings settings)
    {
        var labels = ImmutableSortedDictionary<string, string>.Empty.Add("app", name);
        var service = new Mesh.Model.Services.MeshService(
            $"{name}.{ns}.svc.cluster.local", ns, [new MeshServicePort("http", 80, Protocol.Http, 8080)],
            [string.Create(CultureInfo.InvariantCulture, $"10.96.{index / 250}.{index % 250}")],
            ServiceOrigin.Kubernetes, Resolution.Static, ["*"], labels, labels);
        var eps = Enumerable.Range(0, endpoints).Select(j => new ServiceEndpoint(
            string.Create(CultureInfo.InvariantCulture, $"10.{1 + (index / 250)}.{index % 250}.{j}"),
            ImmutableSortedDictionary<int, int>.Empty.Add(80, 8080), labels, Locality.None, 1, EndpointHealth.Healthy, null, name));
        return new ServiceTranslationInput(service, [.. eps], null, [], settings);
    }
}
