using System.Globalization;
using System.Text;
using Mesh.Ingest.Manifests;
using Mesh.Ingest.Registry;
using Mesh.LoadTest.Proxies;
using Mesh.Model.Translation;

namespace Mesh.EndToEnd.Tests.Support;

/// <summary>
/// The mesh the fault tests serve: namespace <c>ft</c> with services s0..sN (Service + Pod each) and
/// client sidecars that see all of them. <see cref="Expected"/> computes, from the manifests on
/// disk and with the same pure builders the grains use, the exact EDS version every proxy must end
/// up holding, so a change lost in a fault cannot hide behind "all proxies agree".
/// </summary>
internal sealed class FaultMesh(string dir, int services)
{
    public const string Ns = "ft";
    private readonly int[] _generation = new int[services];
    private readonly int[] _timeout = new int[services];

    public string Dir { get; } = dir;

    public int Services { get; } = services;

    public static string Host(int i) => $"s{i}.{Ns}.svc.cluster.local";

    public static string Cluster(int i) => ResourceNames.OutboundCluster(80, null, Host(i));

    /// <summary>Moves service i's pod to a new IP: an endpoint change.</summary>
    public async Task ChangeEndpointAsync(int i)
    {
        _generation[i]++;
        await WriteAsync();
    }

    /// <summary>Gives service i a VirtualService with a new route timeout: a config (RDS) change.</summary>
    public async Task ChangeConfigAsync(int i)
    {
        _timeout[i]++;
        await WriteAsync();
    }

    public async Task WriteAsync()
    {
        var sb = new StringBuilder();
        for (var i = 0; i < Services; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"""
                apiVersion: v1
                kind: Service
                metadata: {"{"}name: s{i}, namespace: {Ns}{"}"}
                spec: {"{"}clusterIP: 10.96.50.{i + 1}, selector: {"{"}app: s{i}{"}"}, ports: [{"{"}name: http, port: 80, targetPort: 8080{"}"}]{"}"}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {"{"}name: s{i}-pod, namespace: {Ns}, labels: {"{"}app: s{i}{"}"}{"}"}
                status: {"{"}podIP: 10.50.{i}.{_generation[i] + 1}, phase: Running{"}"}
                ---

                """);
            if (_timeout[i] > 0)
            {
                sb.Append(CultureInfo.InvariantCulture, $"""
                    apiVersion: networking.istio.io/v1
                    kind: VirtualService
                    metadata: {"{"}name: s{i}, namespace: {Ns}{"}"}
                    spec:
                      hosts: [s{i}]
                      http: [{"{"}timeout: {_timeout[i]}s, route: [{"{"}destination: {"{"}host: s{i}{"}"}{"}"}]{"}"}]
                    ---

                    """);
            }
        }
        var tmp = Path.Combine(Dir, ".mesh.yaml.tmp");
        await File.WriteAllTextAsync(tmp, sb.ToString());
        File.Move(tmp, Path.Combine(Dir, "mesh.yaml"), overwrite: true);
    }

    /// <summary>What the manifests on disk imply for a client sidecar: EDS version per cluster, and the version of route "80".</summary>
    public sealed record ExpectedConfig(IReadOnlyDictionary<string, string> Endpoints, string Route80);

    /// <summary>Computed with the same pure builders the grains use (the sidecar scope sees every service of the namespace).</summary>
    public ExpectedConfig Expected()
    {
        var (objects, errors, _) = new ManifestSet().Update(Dir, ManifestSet.Scan(Dir));
        if (!errors.IsEmpty)
        {
            throw new InvalidOperationException("fault-test manifests are invalid: " + string.Join("; ", errors));
        }
        var settings = MeshSettings.Default;
        var inputs = RegistryCompiler.Compile(objects, settings).Services.Values
            .Select(s => s.ToTranslationInput(settings))
            .ToList();
        var scope = ListenerBuilder.BuildSidecar(new ScopeView(Ns,
            [.. inputs.Select(ScopeService.From)],
            [], settings));
        return new ExpectedConfig(
            inputs.SelectMany(i => EndpointBuilder.Build(i)).ToDictionary(r => r.Name, r => r.Version, StringComparer.Ordinal),
            scope.Routes.Single(r => r.Name == "80").Version);
    }

    /// <summary>True when the proxy holds every service cluster with exactly the expected EDS versions, its listener, and exactly the expected route.</summary>
    public static bool InSync(ProxyView v, ExpectedConfig expected) =>
        expected.Endpoints.All(kv => v.Holds(TypeUrls.Cluster, kv.Key) && v.Version(TypeUrls.Endpoint, kv.Key) == kv.Value)
        && v.Holds(TypeUrls.Listener, "0.0.0.0_80") && v.Version(TypeUrls.Route, "80") == expected.Route80;

    public static SimulatedProxyOptions Client(int index, IReadOnlyList<Uri> gateways, ProxyMode mode) => new()
    {
        Node = SimulatedProxyOptions.SidecarNode($"client-{index}-5c9d-x{index}", Ns, $"10.60.{index / 250}.{index % 250 + 1}",
            new Dictionary<string, string> { ["app"] = "client" }),
        Mode = mode,
        Gateways = gateways,
        MaxConnectAttempts = 200,
        Seed = index,
    };
}
