using System.Text.Json.Serialization;

namespace Mesh.LoadTest;

/// <summary>One run's parameters (both scenarios; <c>connect</c> ignores the churn ones).</summary>
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

    /// <summary>config-churn: what each change rewrites: <c>vs</c>, <c>dr</c> or <c>both</c> (alternating).</summary>
    public string ConfigKind { get; init; } = "both";

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

    /// <summary>Most in-flight connects (started, no response yet).</summary>
    public int MaxConcurrentConnects { get; init; } = 256;

    [JsonIgnore]
    public Action<string>? Log { get; init; }

    [JsonIgnore]
    public int ChurnedServices => FanoutServices ?? (VisibleFraction < 1 ? Math.Max(1, Services / 2) : Services);

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

    /// <summary>Group index of proxy <paramref name="i"/> into <see cref="ClientGroups"/>.</summary>
    public int GroupOf(int i) => VisibleFraction < 1 ? (Picked(i, VisibleFraction) ? 0 : 1) : i % Groups;

    [JsonIgnore]
    public string TargetDescription => Limit ? "limit (minimal ADS server with pre-serialized responses, in this process)"
        : Cluster
        ? $"cluster (child processes on 127.0.0.1: redis-server, 1 silo, {GatewayCount} xDS gateways, ingest)"
        : "embedded (silo + gateway + ingest in this process)";

    /// <summary>Why these options cannot run, or null.</summary>
    public string? Problem() =>
        Proxies < 1 ? "--proxies must be at least 1"
        : GatewayCount < 1 ? "--gateways must be at least 1"
        : Services < 1 ? "--services must be at least 1"
        : Endpoints is < 1 or > 249 ? "--endpoints must be 1..249"
        : Ramp <= 0 ? "--ramp must be positive"
        : Rate <= 0 ? "--rate must be positive"
        : Changes < 0 ? "--changes must not be negative"
        : DeltaShare is < 0 or > 1 ? "--delta-share must be 0..1"
        : VisibleFraction is <= 0 or > 1 ? "--visible-fraction must be in (0, 1]"
        : ChurnedServices < 1 || ChurnedServices > Services ? "--fanout-services must be 1..services"
        : VisibleFraction < 1 && ChurnedServices >= Services ? "with --visible-fraction < 1, --fanout-services must be below --services (narrow proxies see the rest)"
        : Groups < 1 || Groups > Proxies ? "--groups must be 1..proxies"
        : Deps is { } d && (d < 1 || d > Services) ? "--deps must be 1..services"
        : VisibleFraction < 1 && (Groups > 1 || Deps is not null) ? "--visible-fraction and --groups/--deps are two ways to shape visibility; use one"
        : ConfigKind is not ("vs" or "dr" or "both") ? "--kind must be vs, dr or both"
        : KillGateway < 0 || KillGateway >= GatewayCount ? "--kill-gateway must be 0..gateways-1"
        : ChangesDuringOutage < 0 ? "--changes-during-outage must not be negative"
        : Hold < TimeSpan.Zero ? "--hold must not be negative"
        : null;

    /// <summary>True for the proxies picked by an even spread of <paramref name="share"/> of the proxies.</summary>
    public static bool Picked(int index, double share) => Math.Floor((index + 1) * share) > Math.Floor(index * share);
}
