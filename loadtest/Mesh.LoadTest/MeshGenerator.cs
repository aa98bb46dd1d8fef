using System.Globalization;
using System.Text;
using Mesh.Ingest.Manifests;
using Mesh.Ingest.Registry;
using Mesh.Model.Translation;

namespace Mesh.LoadTest;

/// <summary>
/// Writes the load mesh into a manifest directory: namespace <c>lt</c>, services s0..sN, each a
/// Service (port http 80 → 8080) and one EndpointSlice of E addresses (no <c>targetRef</c>), one file
/// per service. <see cref="ChangeEndpointAsync"/> moves one address of one service, written
/// atomically (temp file + rename). <see cref="ExpectedEds"/> computes, with the pure builders the
/// grains use, the EDS version every proxy that sees a service must end up holding.
/// </summary>
internal sealed class MeshGenerator(string dir, int services, int endpoints)
{
    public const string Ns = "lt";
    public const string NarrowApp = "client-narrow";
    private readonly int[] _generation = new int[services];
    private readonly ManifestSet _parsed = new();

    public string Dir { get; } = dir;

    public int Services { get; } = services;

    public static string Host(int i) => $"s{i}.{Ns}.svc.cluster.local";

    public static string Cluster(int i) => ResourceNames.OutboundCluster(80, null, Host(i));

    /// <summary>Writes every service, and (when <paramref name="narrowHosts"/> is set) a Sidecar limiting <c>app=client-narrow</c> proxies to those services.</summary>
    public async Task WriteAllAsync(IReadOnlyList<int>? narrowHosts)
    {
        Directory.CreateDirectory(Dir);
        for (var i = 0; i < Services; i++)
        {
            await WriteServiceAsync(i).ConfigureAwait(false);
        }
        if (narrowHosts is not null)
        {
            var hosts = string.Join(", ", narrowHosts.Select(i => $"\"./{Host(i)}\""));
            await WriteAtomicAsync("sidecar-narrow.yaml", $$$"""
                apiVersion: networking.istio.io/v1
                kind: Sidecar
                metadata: {name: narrow, namespace: {{{Ns}}}}
                spec:
                  workloadSelector: {labels: {app: {{{NarrowApp}}}}}
                  egress:
                  - hosts: [{{{hosts}}}]

                """).ConfigureAwait(false);
        }
    }

    /// <summary>Moves the first address of service <paramref name="i"/>; returns the UTC time the new file appeared.</summary>
    public async Task<DateTime> ChangeEndpointAsync(int i)
    {
        _generation[i]++;
        return await WriteServiceAsync(i).ConfigureAwait(false);
    }

    /// <summary>Cluster name → EDS version implied by the manifests now on disk.</summary>
    public IReadOnlyDictionary<string, string> ExpectedEds()
    {
        var (objects, errors) = _parsed.Update(Dir, ManifestSet.Scan(Dir));
        if (!errors.IsEmpty)
        {
            throw new InvalidOperationException("generated manifests are invalid: " + string.Join("; ", errors));
        }
        var settings = MeshSettings.Default;
        return RegistryCompiler.Compile(objects, settings).Services.Values
            .SelectMany(s => EndpointBuilder.Build(s.ToTranslationInput(settings)))
            .ToDictionary(r => r.Name, r => r.Version, StringComparer.Ordinal);
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
