using System.Text.Json.Serialization;

namespace Mesh.LoadTest;

/// <summary>One run's parameters (both scenarios; <c>connect</c> ignores the churn ones).</summary>
internal sealed record LoadOptions
{
    /// <summary>Run the distributed mesh as child processes (redis-server, 1 silo, <see cref="GatewayCount"/> gateways, ingest) instead of in process.</summary>
    public bool Cluster { get; init; }

    public int GatewayCount { get; init; } = 2;

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

    public string ResultsDir { get; init; } = Path.Combine("loadtest", "results");

    /// <summary>Spectre.Console live status (off when output is redirected).</summary>
    public bool Live { get; init; }

    /// <summary>Bound of every wait (full config, convergence).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Most in-flight connects (started, no response yet).</summary>
    public int MaxConcurrentConnects { get; init; } = 256;

    [JsonIgnore]
    public Action<string>? Log { get; init; }

    [JsonIgnore]
    public int ChurnedServices => FanoutServices ?? (VisibleFraction < 1 ? Math.Max(1, Services / 2) : Services);

    [JsonIgnore]
    public string TargetDescription => Cluster
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
        : null;

    /// <summary>True for the proxies picked by an even spread of <paramref name="share"/> of the proxies.</summary>
    public static bool Picked(int index, double share) => Math.Floor((index + 1) * share) > Math.Floor(index * share);
}
