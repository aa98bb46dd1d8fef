using System.Globalization;
using Mesh.Model.Translation;

namespace Mesh.LoadTest;

/// <summary>
/// The mesh a run generates: its services, the visibility groups of its proxies (a group's proxies
/// see the same services, set by one Sidecar), each proxy's identity, and the services the churn
/// scenarios change. <see cref="Flat"/> is namespace <c>lt</c> with client groups (the original
/// shape); <see cref="Namespaced"/> is N namespaces of M services and W workloads of P proxies each,
/// plus namespace <c>shared</c> whose K services every proxy sees.
/// </summary>
internal sealed class MeshShape
{
    public const string SharedNs = "shared";

    // Kubernetes' SafeEncodeString alphabet: what ReplicaSet hashes and pod suffixes are made of.
    private const string PodAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    private readonly Func<int, int> _groupOf;
    private readonly Func<int, ProxyIdentity> _identity;

    private MeshShape(IReadOnlyList<MeshService> services, IReadOnlyList<ClientGroup> groups, IReadOnlyList<int> churned,
        IReadOnlyList<(string File, string Yaml)> sidecars, Func<int, int> groupOf, Func<int, ProxyIdentity> identity)
    {
        Services = services;
        Groups = groups;
        Churned = churned;
        Sidecars = sidecars;
        _groupOf = groupOf;
        _identity = identity;
    }

    public IReadOnlyList<MeshService> Services { get; }

    /// <summary>Visibility groups; <see cref="ClientGroup.Services"/> are indices into <see cref="Services"/> (null: all).</summary>
    public IReadOnlyList<ClientGroup> Groups { get; }

    /// <summary>The services eds-churn and config-churn change, round-robin (indices into <see cref="Services"/>).</summary>
    public IReadOnlyList<int> Churned { get; }

    /// <summary>The Sidecar manifests (file name, YAML) that make the groups.</summary>
    public IReadOnlyList<(string File, string Yaml)> Sidecars { get; }

    public int GroupOf(int proxy) => _groupOf(proxy);

    public ProxyIdentity Identity(int proxy) => _identity(proxy);

    public static MeshShape For(LoadOptions o) => o.Namespaced ? Namespaced(o) : Flat(o);

    /// <summary>Proxy i's address: 10.200.x.y, unique up to 62,500 proxies per /16 (the flat shape's addresses, as before).</summary>
    public static string ProxyIp(int i) =>
        string.Create(CultureInfo.InvariantCulture, $"10.{200 + (i / 62_500)}.{i / 250 % 250}.{(i % 250) + 1}");

    /// <summary>The namespace default Sidecar (no workloadSelector): the namespace's own services and the shared ones.</summary>
    public static (string File, string Yaml) NamespaceSidecar(string ns) => ($"sidecar-{ns}.yaml", $$$"""
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: default, namespace: {{{ns}}}}
        spec:
          egress:
          - hosts: ["./*", "{{{SharedNs}}}/*"]

        """);

    /// <summary>Services s0..s(count-1) of <paramref name="ns"/>, numbered from <paramref name="first"/>; service j selects workload w-(j mod W).</summary>
    public static List<MeshService> NamespaceServices(string ns, int count, int first, int workloads) =>
        [.. Enumerable.Range(0, count).Select(j => new MeshService(first + j, ns, Name("s", j), Name("w-", j % workloads)))];

    /// <summary>A Deployment pod's name, <c>WORKLOAD-RSHASH-SUFFIX</c>, from which Istio derives the workload.</summary>
    public static string PodName(string workload, string ns, int proxy) =>
        $"{workload}-{Encode(Fnv1a(ns + "/" + workload), 10)}-{Encode((ulong)proxy, 5)}";

    private static MeshShape Flat(LoadOptions o)
    {
        var services = Enumerable.Range(0, o.Services).Select(i => new MeshService(i, MeshGenerator.Ns, Name("s", i), null)).ToList();
        var groups = o.ClientGroups();
        var sidecars = groups.Where(g => g.Services is not null).Select(g =>
        {
            var hosts = string.Join(", ", g.Services!.Select(i => $"\"./{services[i].Host}\""));
            return ($"sidecar-{g.Name}.yaml", $$$"""
                apiVersion: networking.istio.io/v1
                kind: Sidecar
                metadata: {name: {{{g.Name}}}, namespace: {{{MeshGenerator.Ns}}}}
                spec:
                  workloadSelector: {labels: {app: {{{g.Name}}}}}
                  egress:
                  - hosts: [{{{hosts}}}]

                """);
        }).ToList();
        return new MeshShape(services, groups, [.. Enumerable.Range(0, o.ChurnedServices)], sidecars, o.GroupOf, i =>
        {
            var app = groups[o.GroupOf(i)].Name;
            return new ProxyIdentity(string.Create(CultureInfo.InvariantCulture, $"client-{i}-lt-x{i}"), MeshGenerator.Ns,
                new Dictionary<string, string> { ["app"] = app }, null);
        });
    }

    private static MeshShape Namespaced(LoadOptions o)
    {
        int n = o.Namespaces!.Value, m = o.ServicesPerNamespace, w = o.WorkloadsPerNamespace, p = o.ProxiesPerWorkload;
        var services = new List<MeshService>(n * m + o.SharedServices);
        for (var i = 0; i < n; i++)
        {
            services.AddRange(NamespaceServices(Name("ns-", i), m, services.Count, w));
        }
        var shared = NamespaceServices(SharedNs, o.SharedServices, services.Count, w);
        services.AddRange(shared);
        var sharedIndices = shared.Select(s => s.Index).ToList();
        var groups = Enumerable.Range(0, n).Select(i => new ClientGroup(Name("ns-", i), [.. Enumerable.Range(i * m, m), .. sharedIndices])).ToList();
        // Shared: its first K; namespace: the first K of ns-0, seen by ns-0's proxies alone.
        var pool = o.Churn == "namespace" ? Enumerable.Range(0, m).ToList() : sharedIndices;
        var perNamespace = w * p;
        return new MeshShape(services, groups, [.. pool.Take(o.ChurnedServices)], [.. groups.Select(g => NamespaceSidecar(g.Name))],
            i => i / perNamespace, i =>
            {
                var ns = Name("ns-", i / perNamespace);
                var workload = Name("w-", i / p % w);
                return new ProxyIdentity(PodName(workload, ns, i), ns, new Dictionary<string, string> { ["app"] = workload }, workload);
            });
    }

    private static string Name(string prefix, int i) => prefix + i.ToString(CultureInfo.InvariantCulture);

    private static string Encode(ulong value, int length)
    {
        var chars = new char[length];
        for (var k = length - 1; k >= 0; k--)
        {
            chars[k] = PodAlphabet[(int)(value % (ulong)PodAlphabet.Length)];
            value /= (ulong)PodAlphabet.Length;
        }
        return new string(chars);
    }

    /// <summary>FNV-1a, 64 bits: the same in every process (string.GetHashCode is not).</summary>
    private static ulong Fnv1a(string s)
    {
        var h = 14695981039346656037UL;
        foreach (var c in s)
        {
            h = (h ^ c) * 1099511628211UL;
        }
        return h;
    }
}

/// <summary>
/// A service of the generated mesh: its index in the mesh, namespace, name and the workload its
/// selector picks (label <c>app</c>; null: no selector), with its FQDN and outbound cluster name.
/// </summary>
internal sealed record MeshService(int Index, string Namespace, string Name, string? Workload)
{
    public string Host { get; } = $"{Name}.{Namespace}.svc.cluster.local";

    public string Cluster { get; } = ResourceNames.OutboundCluster(80, null, $"{Name}.{Namespace}.svc.cluster.local");

    /// <summary>Its files' stem: the name in namespace <c>lt</c> (as before), else namespace-name.</summary>
    public string FileStem => Namespace == MeshGenerator.Ns ? Name : $"{Namespace}-{Name}";
}

/// <summary>
/// Proxies that see the same services: <paramref name="Name"/> is the flat shape's <c>app</c> label
/// (its Sidecar selects it) or the namespaced shape's namespace; <paramref name="Services"/> are the
/// indices of the services they see (null: all, no Sidecar).
/// </summary>
internal sealed record ClientGroup(string Name, IReadOnlyList<int>? Services);

/// <summary>Who a simulated sidecar is: pod, namespace, labels, and WORKLOAD_NAME (null: its app label).</summary>
internal sealed record ProxyIdentity(string Pod, string Namespace, IReadOnlyDictionary<string, string> Labels, string? WorkloadName);
