using System.Globalization;
using System.Text;
using Mesh.Ingest.Manifests;
using Mesh.Ingest.Registry;
using Mesh.Model.Translation;

namespace Mesh.LoadTest;

/// <summary>
/// Writes the load mesh into a manifest directory: namespace <c>lt</c>, services s0..sN, each a
/// Service (port http 80 → 8080) and one EndpointSlice of E addresses (no <c>targetRef</c>), one file
/// per service, and a Sidecar per client group that sees only some services (the dependency graph).
/// <see cref="ChangeEndpointAsync"/> moves one address of one service;
/// <see cref="ChangeVirtualServiceAsync"/> and <see cref="ChangeDestinationRuleAsync"/> rewrite a
/// service's VirtualService (a header match carrying the change's marker) or DestinationRule (its
/// load balancer cycles through three policies); every write is atomic (temp file + rename). <see cref="ExpectedEds"/> and
/// <see cref="ExpectedClusters"/> compute, with the pure builders the grains use, the versions every
/// proxy that sees a service must end up holding.
/// </summary>
internal sealed class MeshGenerator(string dir, int services, int endpoints)
{
    public const string Ns = "lt";
    public const string NarrowApp = "client-narrow";
    public const string MarkerHeader = "x-config-churn";
    private readonly int[] _generation = new int[services];
    private readonly int[] _drFlips = new int[services];
    private readonly ManifestSet _parsed = new();

    public string Dir { get; } = dir;

    public int Services { get; } = services;

    public static string Host(int i) => $"s{i}.{Ns}.svc.cluster.local";

    public static string Cluster(int i) => ResourceNames.OutboundCluster(80, null, Host(i));

    /// <summary>The marker of change <paramref name="change"/> as it appears in route bytes.</summary>
    public static string Marker(int change) => string.Create(CultureInfo.InvariantCulture, $"cc-{change:D7}");

    /// <summary>Writes every service, and a Sidecar for each group that sees only some services (egress limited to them).</summary>
    public async Task WriteAllAsync(IReadOnlyList<ClientGroup> groups)
    {
        Directory.CreateDirectory(Dir);
        for (var i = 0; i < Services; i++)
        {
            await WriteServiceAsync(i).ConfigureAwait(false);
        }
        foreach (var g in groups.Where(g => g.Services is not null))
        {
            var hosts = string.Join(", ", g.Services!.Select(i => $"\"./{Host(i)}\""));
            await WriteAtomicAsync($"sidecar-{g.App}.yaml", $$$"""
                apiVersion: networking.istio.io/v1
                kind: Sidecar
                metadata: {name: {{{g.App}}}, namespace: {{{Ns}}}}
                spec:
                  workloadSelector: {labels: {app: {{{g.App}}}}}
                  egress:
                  - hosts: [{{{hosts}}}]

                """).ConfigureAwait(false);
        }
    }

    /// <summary>Writes service <paramref name="i"/>'s VirtualService: a route matching header <see cref="MarkerHeader"/> = the change's marker, then a default route.</summary>
    public Task<DateTime> ChangeVirtualServiceAsync(int i, int change) =>
        WriteAtomicAsync(string.Create(CultureInfo.InvariantCulture, $"vs-s{i}.yaml"), $$$"""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: s{{{i}}}, namespace: {{{Ns}}}}
            spec:
              hosts: [{{{Host(i)}}}]
              http:
              - match:
                - headers:
                    {{{MarkerHeader}}}: {exact: {{{Marker(change)}}}}
                route:
                - destination: {host: {{{Host(i)}}}}
              - route:
                - destination: {host: {{{Host(i)}}}}

            """);

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
        return WriteAtomicAsync(string.Create(CultureInfo.InvariantCulture, $"dr-s{i}.yaml"), $$$"""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: s{{{i}}}, namespace: {{{Ns}}}}
            spec:
              host: {{{Host(i)}}}
              trafficPolicy: {loadBalancer: {simple: {{{lb}}}}}

            """);
    }

    /// <summary>Moves the first address of service <paramref name="i"/>; returns the UTC time the new file appeared.</summary>
    public async Task<DateTime> ChangeEndpointAsync(int i)
    {
        _generation[i]++;
        return await WriteServiceAsync(i).ConfigureAwait(false);
    }

    /// <summary>Cluster name → EDS version implied by the manifests now on disk.</summary>
    public IReadOnlyDictionary<string, string> ExpectedEds() => Expected(EndpointBuilder.Build);

    /// <summary>The EDS resource of service <paramref name="i"/> implied by the manifests now on disk.</summary>
    public XdsResource CurrentEds(int i)
    {
        var name = Cluster(i);
        return Build(EndpointBuilder.Build).Single(r => r.Name == name);
    }

    /// <summary>Cluster name → cluster (CDS) version implied by the manifests now on disk.</summary>
    public IReadOnlyDictionary<string, string> ExpectedClusters() => Expected(ClusterBuilder.BuildOutbound);

    private Dictionary<string, string> Expected(Func<ServiceTranslationInput, System.Collections.Immutable.ImmutableArray<XdsResource>> build) =>
        Build(build).ToDictionary(r => r.Name, r => r.Version, StringComparer.Ordinal);

    /// <summary>What <paramref name="build"/> makes of every service in the manifests now on disk.</summary>
    private IEnumerable<XdsResource> Build(Func<ServiceTranslationInput, System.Collections.Immutable.ImmutableArray<XdsResource>> build)
    {
        var (objects, errors) = _parsed.Update(Dir, ManifestSet.Scan(Dir));
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

    private async Task<DateTime> WriteServiceAsync(int i)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $$$"""
            apiVersion: v1
            kind: Service
            metadata: {name: s{{{i}}}, namespace: {{{Ns}}}}
            spec: {clusterIP: 10.96.{{{i / 250}}}.{{{(i % 250) + 1}}}, ports: [{name: http, port: 80, targetPort: 8080}]}
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: s{{{i}}}-slice, namespace: {{{Ns}}}, labels: {kubernetes.io/service-name: s{{{i}}}}}
            addressType: IPv4
            ports: [{name: http, port: 8080, protocol: TCP}]
            endpoints:

            """);
        for (var j = 0; j < endpoints; j++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"- {{addresses: [{Address(i, j)}], conditions: {{ready: true}}}}\n");
        }
        return await WriteAtomicAsync(string.Create(CultureInfo.InvariantCulture, $"svc-s{i}.yaml"), sb.ToString()).ConfigureAwait(false);
    }

    private async Task<DateTime> WriteAtomicAsync(string name, string text)
    {
        var tmp = Path.Combine(Dir, "." + name + ".tmp");
        await File.WriteAllTextAsync(tmp, text).ConfigureAwait(false);
        File.Move(tmp, Path.Combine(Dir, name), overwrite: true);
        return DateTime.UtcNow;
    }
}

/// <summary>
/// Client workloads (label <c>app</c>) of the dependency graph: <paramref name="Services"/> are the
/// service indices its proxies see (null: all, no Sidecar).
/// </summary>
internal sealed record ClientGroup(string App, IReadOnlyList<int>? Services);
