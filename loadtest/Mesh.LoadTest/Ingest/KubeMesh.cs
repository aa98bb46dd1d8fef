using System.Globalization;
using System.Text.Json.Nodes;
using Mesh.Testing.Kubernetes;

namespace Mesh.LoadTest.Ingest;

/// <summary>
/// The cluster the ingest benchmark serves, written into the fake API server as a real cluster
/// would hold it: Namespaces <c>ns-0..</c>, Services <c>svc-K</c> (spread round-robin over the
/// namespaces), one EndpointSlice per Service whose endpoints point (targetRef) at one Pod each,
/// Nodes with region/zone labels, and a Sidecar in namespace <see cref="ProbeNamespace"/> that lets
/// the probe proxy see namespace <c>ns-0</c> only. Churn moves one endpoint of a slice to a new
/// address (unique per move, so a proxy can tell which move it holds) or beats a Pod's status.
/// </summary>
internal sealed class KubeMesh(IngestOptions options)
{
    public const string ProbeNamespace = "probe";
    public const int ServicePort = 80;
    public const int TargetPort = 8080;

    // Our copies of the slices and pods, so churn edits them without reading them back.
    private readonly JsonObject[] _slices = new JsonObject[options.Services];
    private int _moves;
    private int _beats;

    public int Services => options.Services;

    /// <summary>Objects written by <see cref="Populate"/>, by kind.</summary>
    public Dictionary<string, int> Written { get; } = new(StringComparer.Ordinal);

    public static string Namespace(int n) => string.Create(CultureInfo.InvariantCulture, $"ns-{n}");

    public string NamespaceOf(int service) => Namespace(service % options.Namespaces);

    public static string ServiceName(int service) => string.Create(CultureInfo.InvariantCulture, $"svc-{service}");

    public string Host(int service) => $"{ServiceName(service)}.{NamespaceOf(service)}.svc.cluster.local";

    /// <summary>The probe's outbound cluster for a service (Istio's name).</summary>
    public string Cluster(int service) => string.Create(CultureInfo.InvariantCulture, $"outbound|{ServicePort}||{Host(service)}");

    /// <summary>True for the services the probe proxy sees (namespace ns-0).</summary>
    public bool Probed(int service) => service % options.Namespaces == 0;

    public void Populate(FakeKubeApiServer api)
    {
        ArgumentNullException.ThrowIfNull(api);
        for (var n = 0; n < options.Namespaces; n++)
        {
            Create(api, Obj("v1", "Namespace", Meta(Namespace(n), null, ("team", "t" + (n % 10).ToString(CultureInfo.InvariantCulture)))));
        }
        Create(api, Obj("v1", "Namespace", Meta(ProbeNamespace, null)));
        if (options.Nodes > 0 && api.ResourceTypes.Any(t => t.Kind == "Node"))
        {
            for (var i = 0; i < options.Nodes; i++)
            {
                var node = Obj("v1", "Node", Meta(NodeName(i), null,
                    ("kubernetes.io/hostname", NodeName(i)),
                    ("topology.kubernetes.io/region", "region-" + (i % 2).ToString(CultureInfo.InvariantCulture)),
                    ("topology.kubernetes.io/zone", "zone-" + (i % 6).ToString(CultureInfo.InvariantCulture))));
                node["status"] = new JsonObject { ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True" }) };
                Create(api, node);
            }
        }
        for (var s = 0; s < options.Services; s++)
        {
            var ns = NamespaceOf(s);
            var name = ServiceName(s);
            var svc = Obj("v1", "Service", Meta(name, ns, ("app", name)));
            svc["spec"] = new JsonObject
            {
                ["type"] = "ClusterIP",
                ["clusterIP"] = Ip(100, s + 1),
                ["selector"] = new JsonObject { ["app"] = name },
                ["ports"] = new JsonArray(new JsonObject { ["name"] = "http", ["port"] = ServicePort, ["targetPort"] = TargetPort, ["protocol"] = "TCP" }),
            };
            Create(api, svc);
            var endpoints = new JsonArray();
            for (var e = 0; e < options.Endpoints; e++)
            {
                var pod = PodObject(s, e, beat: 0);
                Create(api, pod);
                endpoints.Add(new JsonObject
                {
                    ["addresses"] = new JsonArray(PodIp(s, e)),
                    ["conditions"] = new JsonObject { ["ready"] = true, ["serving"] = true, ["terminating"] = false },
                    ["targetRef"] = new JsonObject { ["kind"] = "Pod", ["namespace"] = ns, ["name"] = PodName(s, e) },
                    ["nodeName"] = NodeName(PodIndex(s, e)),
                    ["zone"] = "zone-" + (PodIndex(s, e) % Math.Max(1, options.Nodes) % 6).ToString(CultureInfo.InvariantCulture),
                });
            }
            var slice = Obj("discovery.k8s.io/v1", "EndpointSlice", Meta(name + "-ab12c", ns, ("kubernetes.io/service-name", name), ("endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io")));
            slice["addressType"] = "IPv4";
            slice["ports"] = new JsonArray(new JsonObject { ["name"] = "http", ["port"] = TargetPort, ["protocol"] = "TCP" });
            slice["endpoints"] = endpoints;
            Create(api, slice);
            _slices[s] = slice;
        }
        var sidecar = Obj("networking.istio.io/v1", "Sidecar", Meta("default", ProbeNamespace));
        sidecar["spec"] = new JsonObject { ["egress"] = new JsonArray(new JsonObject { ["hosts"] = new JsonArray(Namespace(0) + "/*") }) };
        Create(api, sidecar);
    }

    /// <summary>
    /// Moves endpoint (move / services) mod E of service (move mod services) to a new address, unique
    /// to this move; <paramref name="beforeWrite"/> learns the service and the address just before the write.
    /// </summary>
    public void MoveEndpoint(FakeKubeApiServer api, Action<int, string> beforeWrite)
    {
        ArgumentNullException.ThrowIfNull(beforeWrite);
        ArgumentNullException.ThrowIfNull(api);
        var move = _moves++;
        var s = move % options.Services;
        var e = move / options.Services % options.Endpoints;
        var address = MovedIp(move);
        var slice = _slices[s];
        slice["endpoints"]![e]!["addresses"] = new JsonArray(address);
        beforeWrite(s, address);
        api.Update(slice);
    }

    /// <summary>A status-only Pod update (a new probe time), as the kubelet writes all the time: no effective change.</summary>
    public void Heartbeat(FakeKubeApiServer api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var beat = ++_beats;
        var pod = beat % (options.Services * options.Endpoints);
        api.Update(PodObject(pod / options.Endpoints, pod % options.Endpoints, beat));
    }

    public int Moves => _moves;

    public int Beats => _beats;

    private JsonObject PodObject(int s, int e, int beat)
    {
        var name = ServiceName(s);
        var pod = Obj("v1", "Pod", Meta(PodName(s, e), NamespaceOf(s), ("app", name), ("version", "v1"), ("pod-template-hash", "5d9f8c7b6")));
        pod["spec"] = new JsonObject
        {
            ["serviceAccountName"] = name,
            ["nodeName"] = NodeName(PodIndex(s, e)),
            ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "registry.local/app:1" }),
        };
        pod["status"] = new JsonObject
        {
            ["phase"] = "Running",
            ["podIP"] = PodIp(s, e),
            ["conditions"] = new JsonArray(new JsonObject
            {
                ["type"] = "Ready",
                ["status"] = "True",
                ["lastProbeTime"] = DateTime.UnixEpoch.AddSeconds(1_800_000_000 + beat).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            }),
        };
        return pod;
    }

    private int PodIndex(int s, int e) => s * options.Endpoints + e;

    private static string PodName(int s, int e) => string.Create(CultureInfo.InvariantCulture, $"svc-{s}-5d9f8c7b6-{e:x5}");

    private string NodeName(int podIndex) => string.Create(CultureInfo.InvariantCulture, $"node-{podIndex % Math.Max(1, options.Nodes)}");

    private string PodIp(int s, int e) => Ip(10, PodIndex(s, e) + 1);

    /// <summary>172.16.0.0/12, one address per move.</summary>
    private static string MovedIp(int move) => Ip(172, (16 << 16) + move + 1);

    private static string Ip(int first, int n) =>
        string.Create(CultureInfo.InvariantCulture, $"{first}.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}");

    private void Create(FakeKubeApiServer api, JsonObject obj)
    {
        api.Create(obj);
        var kind = (string)obj["kind"]!;
        Written[kind] = Written.GetValueOrDefault(kind) + 1;
    }

    private static JsonObject Obj(string apiVersion, string kind, JsonObject metadata) =>
        new() { ["apiVersion"] = apiVersion, ["kind"] = kind, ["metadata"] = metadata };

    private static JsonObject Meta(string name, string? ns, params (string Key, string Value)[] labels)
    {
        var meta = new JsonObject { ["name"] = name };
        if (ns is not null)
        {
            meta["namespace"] = ns;
        }
        if (labels.Length > 0)
        {
            meta["labels"] = new JsonObject([.. labels.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value))]);
        }
        return meta;
    }
}
