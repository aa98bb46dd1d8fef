using System.Globalization;
using System.Text;
using Mesh.Ingest.Manifests;
using Mesh.Ingest.Registry;
using Mesh.Model.Translation;

namespace Mesh.LoadTest;

/// <summary>
/// Writes a <see cref="MeshShape"/> into a manifest directory: each service a Service (port http
/// 80 → 8080, a selector <c>app: WORKLOAD</c> when it has a workload) and one EndpointSlice of E
/// addresses (no <c>targetRef</c>), one file per service, and the shape's Sidecars.
/// <see cref="ChangeEndpointAsync"/> moves one address of one service;
/// <see cref="ChangeVirtualServiceAsync"/> and <see cref="ChangeDestinationRuleAsync"/> rewrite a
/// service's VirtualService (a header match carrying the change's marker) or DestinationRule (its
/// load balancer cycles through three policies); <see cref="AddNamespaceAsync"/> adds a namespace;
/// every write is atomic (temp file + rename). <see cref="ExpectedEds"/> and
/// <see cref="ExpectedClusters"/> compute, with the pure builders the grains use, the versions every
/// proxy that sees a service must end up holding.
/// </summary>
internal sealed class MeshGenerator(string dir, MeshShape shape, int endpoints)
{
    /// <summary>The flat shape's namespace.</summary>
    public const string Ns = "lt";
    public const string NarrowApp = "client-narrow";
    public const string MarkerHeader = "x-config-churn";

    /// <summary>Services with unique addresses: endpoint j of service i is 10.(1 + i/250).x.j, its moving one 10.(128 + i/250).x.y.</summary>
    public const int MaxServices = 31_750;

    private readonly List<MeshService> _services = [.. shape.Services];
    private readonly List<int> _generation = [.. shape.Services.Select(_ => 0)];
    private readonly List<int> _drFlips = [.. shape.Services.Select(_ => 0)];
    private readonly ManifestSet _parsed = new();

    public string Dir { get; } = dir;

    /// <summary>Every service written so far, by index (the shape's, then any added namespace's).</summary>
    public IReadOnlyList<MeshService> Services => _services;

    /// <summary>The flat shape's service i.</summary>
    public static string Host(int i) => string.Create(CultureInfo.InvariantCulture, $"s{i}.{Ns}.svc.cluster.local");

    /// <summary>The flat shape's service i's outbound cluster.</summary>
    public static string Cluster(int i) => ResourceNames.OutboundCluster(80, null, Host(i));

    /// <summary>The marker of change <paramref name="change"/> as it appears in route bytes.</summary>
    public static string Marker(int change) => string.Create(CultureInfo.InvariantCulture, $"cc-{change:D7}");

    /// <summary>Writes every service, then the shape's Sidecars.</summary>
    public async Task WriteAllAsync()
    {
        Directory.CreateDirectory(Dir);
        foreach (var s in _services)
        {
            await WriteServiceAsync(s).ConfigureAwait(false);
        }
        foreach (var (file, yaml) in shape.Sidecars)
        {
            await WriteAtomicAsync(file, yaml).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Adds namespace <paramref name="ns"/>: <paramref name="services"/> services (service j selects
    /// workload w-(j mod <paramref name="workloads"/>)) and its default Sidecar (itself and <c>shared</c>).
    /// Returns the new services and the time the last file appeared.
    /// </summary>
    public async Task<(IReadOnlyList<MeshService> Services, DateTime WrittenAt)> AddNamespaceAsync(string ns, int services, int workloads)
    {
        var added = MeshShape.NamespaceServices(ns, services, _services.Count, workloads);
        foreach (var s in added)
        {
            _services.Add(s);
            _generation.Add(0);
            _drFlips.Add(0);
            await WriteServiceAsync(s).ConfigureAwait(false);
        }
        var (file, yaml) = MeshShape.NamespaceSidecar(ns);
        return (added, await WriteAtomicAsync(file, yaml).ConfigureAwait(false));
    }

    /// <summary>Writes a mesh-wide RolloutPolicy (namespace mesh-system) with <paramref name="stages"/> (percentages) and <paramref name="bake"/> per stage, governing VirtualService and DestinationRule changes.</summary>
    public Task<DateTime> WriteRolloutPolicyAsync(IReadOnlyList<double> stages, TimeSpan bake) =>
        WriteAtomicAsync("rolloutpolicy.yaml", string.Create(CultureInfo.InvariantCulture, $$$"""
            apiVersion: mesh.dev/v1alpha1
            kind: RolloutPolicy
            metadata: {name: load, namespace: mesh-system}
            spec:
              stages: [{{{string.Join(", ", stages.Select(p => string.Create(CultureInfo.InvariantCulture, $"{{percent: {p}}}")))}}}]
              bake: {{{bake.TotalMilliseconds}}}ms

            """));

    /// <summary>Writes service <paramref name="i"/>'s VirtualService: a route matching header <see cref="MarkerHeader"/> = the change's marker, then a default route.</summary>
    public Task<DateTime> ChangeVirtualServiceAsync(int i, int change)
    {
        var s = _services[i];
        return WriteAtomicAsync($"vs-{s.FileStem}.yaml", $$$"""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: {{{s.Name}}}, namespace: {{{s.Namespace}}}}
            spec:
              hosts: [{{{s.Host}}}]
              http:
              - match:
                - headers:
                    {{{MarkerHeader}}}: {exact: {{{Marker(change)}}}}
                route:
                - destination: {host: {{{s.Host}}}}
              - route:
                - destination: {host: {{{s.Host}}}}

            """);
    }

    /// <summary>Writes service <paramref name="i"/>'s DestinationRule with its load balancer at the next of LEAST_REQUEST, RANDOM and ROUND_ROBIN, so its cluster changes.</summary>
    public Task<DateTime> ChangeDestinationRuleAsync(int i)
    {
        // Three policies in turn, not two: when the ingest merges writes that land close together
        // (its debounce), two merged flips would net out to the content proxies already hold, and
        // that change could never be seen. It now takes three merged changes of one service.
        var lb = (++_drFlips[i] % 3) switch
        {
            1 => "LEAST_REQUEST",
            2 => "RANDOM",
            _ => "ROUND_ROBIN",
        };
        var s = _services[i];
        return WriteAtomicAsync($"dr-{s.FileStem}.yaml", $$$"""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: {{{s.Name}}}, namespace: {{{s.Namespace}}}}
            spec:
              host: {{{s.Host}}}
              trafficPolicy: {loadBalancer: {simple: {{{lb}}}}}

            """);
    }

    /// <summary>Moves the first address of service <paramref name="i"/>; returns the UTC time the new file appeared.</summary>
    public async Task<DateTime> ChangeEndpointAsync(int i)
    {
        _generation[i]++;
        return await WriteServiceAsync(_services[i]).ConfigureAwait(false);
    }

    /// <summary>Cluster name → EDS version implied by the manifests now on disk.</summary>
    public IReadOnlyDictionary<string, string> ExpectedEds() => Expected(EndpointBuilder.Build);

    /// <summary>The EDS resource of service <paramref name="i"/> implied by the manifests now on disk.</summary>
    public XdsResource CurrentEds(int i)
    {
        var name = _services[i].Cluster;
        return Build(EndpointBuilder.Build).Single(r => r.Name == name);
    }

    /// <summary>Cluster name → cluster (CDS) version implied by the manifests now on disk.</summary>
    public IReadOnlyDictionary<string, string> ExpectedClusters() => Expected(ClusterBuilder.BuildOutbound);

    private Dictionary<string, string> Expected(Func<ServiceTranslationInput, System.Collections.Immutable.ImmutableArray<XdsResource>> build) =>
        Build(build).ToDictionary(r => r.Name, r => r.Version, StringComparer.Ordinal);

    /// <summary>What <paramref name="build"/> makes of every service in the manifests now on disk.</summary>
    private IEnumerable<XdsResource> Build(Func<ServiceTranslationInput, System.Collections.Immutable.ImmutableArray<XdsResource>> build)
    {
        var (objects, errors, _) = _parsed.Update(Dir, ManifestSet.Scan(Dir));
        if (!errors.IsEmpty)
        {
            throw new InvalidOperationException("generated manifests are invalid: " + string.Join("; ", errors));
        }
        var settings = MeshSettings.Default;
        return RegistryCompiler.Compile(objects, settings).Services.Values.SelectMany(s => build(s.ToTranslationInput(settings)));
    }

    /// <summary>Endpoint j of service i; endpoint 0 moves with each change (10.128+.x.y), the others are fixed (10.1+.x.y).</summary>
    private string Address(int i, int j) => j == 0
        ? string.Create(CultureInfo.InvariantCulture, $"10.{128 + (i / 250)}.{i % 250}.{1 + (_generation[i] % 250)}")
        : string.Create(CultureInfo.InvariantCulture, $"10.{1 + (i / 250)}.{i % 250}.{j}");

    private async Task<DateTime> WriteServiceAsync(MeshService s)
    {
        var i = s.Index;
        var selector = s.Workload is null ? "" : $"selector: {{app: {s.Workload}}}, ";
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $$$"""
            apiVersion: v1
            kind: Service
            metadata: {name: {{{s.Name}}}, namespace: {{{s.Namespace}}}}
            spec: {clusterIP: 10.96.{{{i / 250}}}.{{{(i % 250) + 1}}}, {{{selector}}}ports: [{name: http, port: 80, targetPort: 8080}]}
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: {{{s.Name}}}-slice, namespace: {{{s.Namespace}}}, labels: {kubernetes.io/service-name: {{{s.Name}}}}}
            addressType: IPv4
            ports: [{name: http, port: 8080, protocol: TCP}]
            endpoints:

            """);
        for (var j = 0; j < endpoints; j++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"- {{addresses: [{Address(i, j)}], conditions: {{ready: true}}}}\n");
        }
        return await WriteAtomicAsync($"svc-{s.FileStem}.yaml", sb.ToString()).ConfigureAwait(false);
    }

    private async Task<DateTime> WriteAtomicAsync(string name, string text)
    {
        var tmp = Path.Combine(Dir, "." + name + ".tmp");
        await File.WriteAllTextAsync(tmp, text).ConfigureAwait(false);
        File.Move(tmp, Path.Combine(Dir, name), overwrite: true);
        return DateTime.UtcNow;
    }
}
