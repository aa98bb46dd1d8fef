using System.Text.Json.Serialization;

namespace Mesh.LoadTest;

/// <summary>One run's parameters (every mesh scenario; <c>connect</c> ignores the churn ones).</summary>
internal sealed record LoadOptions
{
    /// <summary>Run the distributed mesh as child processes (redis-server, 1 silo, <see cref="GatewayCount"/> gateways, ingest) instead of in process.</summary>
    public bool Cluster { get; init; }

    public int GatewayCount { get; init; } = 2;

    /// <summary>Serve the swarm from the minimal limit server instead of Mesh (the <c>limit</c> scenario).</summary>
    public bool Limit { get; init; }

    public int Proxies { get; init; } = 100;

    /// <summary>Connect ramp: proxies started per second.</summary>
    public double Ramp { get; init; } = 200;

    public int Services { get; init; } = 10;

    public int Endpoints { get; init; } = 3;

    /// <summary>Share of proxies speaking delta xDS (the rest SotW), spread evenly.</summary>
    public double DeltaShare { get; init; } = 1;

    /// <summary>Share of proxies that are proxyless gRPC clients (GENERATOR=grpc, resolving the listeners of the services they see), spread evenly; the rest are Envoy sidecars.</summary>
    public double ProxylessShare { get; init; }

    /// <summary>Zones the proxies' node localities spread over (region-1/zone-(i mod Z)); 0: no locality, as before.</summary>
    public int Zones { get; init; }

    /// <summary>Endpoint changes per second (eds-churn).</summary>
    public double Rate { get; init; } = 5;

    public int Changes { get; init; } = 10;

    /// <summary>Changes go round-robin over services s0..s(K-1); null: all services, or half of them with <see cref="VisibleFraction"/> &lt; 1.</summary>
    public int? FanoutServices { get; init; }

    /// <summary>Share of proxies that see the churned services; the others get a Sidecar limiting them to the rest.</summary>
    public double VisibleFraction { get; init; } = 1;

    /// <summary>Dependency graph: client groups (proxy i is in group i mod G); each sees <see cref="Deps"/> services.</summary>
    public int Groups { get; init; } = 1;

    /// <summary>Services each group sees (group j: s(j·D) … s(j·D+D−1), wrapping); null: every service.</summary>
    public int? Deps { get; init; }

    /// <summary>
    /// The namespaced shape (<see cref="MeshShape"/>): namespaces ns-0..ns-(N-1), each with
    /// <see cref="ServicesPerNamespace"/> services and <see cref="WorkloadsPerNamespace"/> workloads of
    /// <see cref="ProxiesPerWorkload"/> proxies, plus namespace <c>shared</c>. Null: the flat shape (namespace <c>lt</c>).
    /// </summary>
    public int? Namespaces { get; init; }

    public int ServicesPerNamespace { get; init; } = 10;

    public int WorkloadsPerNamespace { get; init; } = 10;

    public int ProxiesPerWorkload { get; init; } = 2;

    /// <summary>Services of namespace <c>shared</c>, exported mesh-wide and seen by every proxy.</summary>
    public int SharedServices { get; init; } = 20;

    /// <summary>Namespaced churn: <c>shared</c> changes shared services (every proxy sees them), <c>namespace</c> services of ns-0 (1/N of the proxies see them).</summary>
    public string Churn { get; init; } = "shared";

    /// <summary>namespace-create: services of the namespace created after connect.</summary>
    public int NewNamespaceServices { get; init; } = 100;

    /// <summary>config-churn: what each change rewrites: <c>vs</c>, <c>dr</c> or <c>both</c> (alternating).</summary>
    public string ConfigKind { get; init; } = "both";

    /// <summary>config-churn: a mesh-wide RolloutPolicy with these stages (percentages, e.g. <c>1,10,50,100</c>) governs the changes; null: none.</summary>
    public string? RolloutStages { get; init; }

    /// <summary>config-churn: the policy's bake per stage.</summary>
    public TimeSpan RolloutBake { get; init; }

    /// <summary>config-churn with a policy: every proxy NACKs the first route it is sent after each change (only the first stage's cohort is sent one), and the tool times the rollback.</summary>
    public bool RolloutNack { get; init; }

    /// <summary>reconnect-storm: gateway to kill (0-based).</summary>
    public int KillGateway { get; init; }

    /// <summary>reconnect-storm: start the killed gateway again (its proxies may come back to it) instead of leaving it dead.</summary>
    public bool Restart { get; init; }

    /// <summary>reconnect-storm: endpoint changes made right after the kill, while its proxies reconnect.</summary>
    public int ChangesDuringOutage { get; init; } = 1;

    public string ResultsDir { get; init; } = Path.Combine("loadtest", "results");

    /// <summary>Spectre.Console live status (off when output is redirected).</summary>
    public bool Live { get; init; }

    /// <summary>Bound of every wait (full config, convergence).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>How long to keep the mesh and proxies up after connecting, for inspection (0: not at all).</summary>
    public TimeSpan Hold { get; init; }

    /// <summary>
    /// Most in-flight connects (started, no response yet). A real fleet has no such cap: when the mesh
    /// answers a connect in 0.3 s, 256 hold the ramp to about 800/s whatever <see cref="Ramp"/> asks.
    /// </summary>
    public int MaxConcurrentConnects { get; init; } = 256;

    [JsonIgnore]
    public Action<string>? Log { get; init; }

    [JsonIgnore]
    public bool Namespaced => Namespaces is not null;

    /// <summary>The namespaced shape's proxy count, N·W·P.</summary>
    [JsonIgnore]
    public long NamespacedProxies => (long)(Namespaces ?? 0) * WorkloadsPerNamespace * ProxiesPerWorkload;

    /// <summary>Services the churn goes round-robin over: flat, the first K; namespaced, the first K of the shared ones or of ns-0's.</summary>
    [JsonIgnore]
    public int ChurnedServices => FanoutServices ?? (Namespaced ? (Churn == "namespace" ? ServicesPerNamespace : SharedServices)
        : VisibleFraction < 1 ? Math.Max(1, Services / 2) : Services);

    /// <summary>Average number of groups that see a service (the graph's fan-in).</summary>
    [JsonIgnore]
    public double FanIn => Groups * (double)(Deps ?? Services) / Services;

    /// <summary>The client groups: one that sees everything; wide and narrow with <see cref="VisibleFraction"/> &lt; 1; or <see cref="Groups"/> with <see cref="Deps"/> each.</summary>
    public IReadOnlyList<ClientGroup> ClientGroups()
    {
        if (VisibleFraction < 1)
        {
            return [new ClientGroup("client", null), new ClientGroup(MeshGenerator.NarrowApp, [.. Enumerable.Range(ChurnedServices, Services - ChurnedServices)])];
        }
        if (Groups == 1 && Deps is null)
        {
            return [new ClientGroup("client", null)];
        }
        var d = Deps ?? Services;
        return [.. Enumerable.Range(0, Groups).Select(j => new ClientGroup(
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"client-g{j}"),
            [.. Enumerable.Range(0, d).Select(k => (int)(((long)j * d + k) % Services)).Distinct().Order()]))];
    }

    /// <summary>Group index of proxy <paramref name="i"/> into <see cref="ClientGroups"/> (the flat shape's).</summary>
    public int GroupOf(int i) => VisibleFraction < 1 ? (Picked(i, VisibleFraction) ? 0 : 1) : i % Groups;

    [JsonIgnore]
    public string TargetDescription => Limit ? "limit (minimal ADS server with pre-serialized responses, in this process)"
        : Cluster
        ? $"cluster (child processes on 127.0.0.1: redis-server, 1 silo, {GatewayCount} xDS gateways, ingest)"
        : "embedded (silo + gateway + ingest in this process)";

    /// <summary>Why these options cannot run, or null.</summary>
    public string? Problem() => Namespaced ? NamespacedProblem() ?? CommonProblem() : FlatProblem() ?? CommonProblem();

    /// <summary>True for the proxies picked by an even spread of <paramref name="share"/> of the proxies.</summary>
    public static bool Picked(int index, double share) => Math.Floor((index + 1) * share) > Math.Floor(index * share);

    private string? NamespacedProblem() =>
        Namespaces < 1 ? "--namespaces must be at least 1"
        : ServicesPerNamespace < 1 ? "--services-per-namespace must be at least 1"
        : WorkloadsPerNamespace < 1 ? "--workloads-per-namespace must be at least 1"
        : ProxiesPerWorkload < 1 ? "--proxies-per-workload must be at least 1"
        : SharedServices < 1 ? "--shared-services must be at least 1 (every proxy sees them; shared churn and reconnect-storm change them)"
        : NamespacedProxies > 200_000 ? $"--namespaces × --workloads-per-namespace × --proxies-per-workload = {NamespacedProxies} proxies; at most 200,000"
        : Proxies != NamespacedProxies ? $"--proxies {Proxies} contradicts --namespaces {Namespaces} × --workloads-per-namespace {WorkloadsPerNamespace} × --proxies-per-workload {ProxiesPerWorkload} = {NamespacedProxies}; leave --proxies out"
        : ((long)Namespaces!.Value * ServicesPerNamespace) + SharedServices + NewNamespaceServices > MeshGenerator.MaxServices
            ? $"--namespaces × --services-per-namespace + --shared-services + --new-services must be at most {MeshGenerator.MaxServices} (unique addresses)"
        : Groups != 1 || Deps is not null || VisibleFraction < 1 ? "--groups, --deps and --visible-fraction shape the flat mesh; with --namespaces each namespace sees its own services and the shared ones"
        : Churn is not ("shared" or "namespace") ? "--churn must be shared or namespace"
        : ChurnedServices < 1 || ChurnedServices > (Churn == "namespace" ? ServicesPerNamespace : SharedServices)
            ? $"--fanout-services must be 1..{(Churn == "namespace" ? "--services-per-namespace" : "--shared-services")} (the {Churn} services churned)"
        : NewNamespaceServices < 1 ? "--new-services must be at least 1"
        : Limit ? "the limit server serves the flat mesh only; leave out --namespaces"
        : null;

    private string? FlatProblem() =>
        Proxies < 1 ? "--proxies must be at least 1"
        : Services < 1 ? "--services must be at least 1"
        : Services > MeshGenerator.MaxServices ? $"--services must be at most {MeshGenerator.MaxServices} (unique addresses)"
        : VisibleFraction is <= 0 or > 1 ? "--visible-fraction must be in (0, 1]"
        : ChurnedServices < 1 || ChurnedServices > Services ? "--fanout-services must be 1..services"
        : VisibleFraction < 1 && ChurnedServices >= Services ? "with --visible-fraction < 1, --fanout-services must be below --services (narrow proxies see the rest)"
        : Groups < 1 || Groups > Proxies ? "--groups must be 1..proxies"
        : Deps is { } d && (d < 1 || d > Services) ? "--deps must be 1..services"
        : VisibleFraction < 1 && (Groups > 1 || Deps is not null) ? "--visible-fraction and --groups/--deps are two ways to shape visibility; use one"
        : null;

    private string? CommonProblem() =>
        GatewayCount < 1 ? "--gateways must be at least 1"
        : Endpoints is < 1 or > 249 ? "--endpoints must be 1..249"
        : Ramp <= 0 ? "--ramp must be positive"
        : MaxConcurrentConnects < 1 ? "--max-connecting must be at least 1"
        : Rate <= 0 ? "--rate must be positive"
        : Changes < 0 ? "--changes must not be negative"
        : DeltaShare is < 0 or > 1 ? "--delta-share must be 0..1"
        : Zones < 0 ? "--zones must not be negative"
        : ProxylessShare is < 0 or > 1 ? "--proxyless-share must be 0..1"
        : ConfigKind is not ("vs" or "dr" or "both") ? "--kind must be vs, dr or both"
        : KillGateway < 0 || KillGateway >= GatewayCount ? "--kill-gateway must be 0..gateways-1"
        : ChangesDuringOutage < 0 ? "--changes-during-outage must not be negative"
        : Hold < TimeSpan.Zero ? "--hold must not be negative"
        : null;
}
