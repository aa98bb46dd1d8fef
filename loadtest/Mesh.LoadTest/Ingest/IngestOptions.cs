using System.Text.Json.Serialization;

namespace Mesh.LoadTest.Ingest;

/// <summary>The <c>ingest</c> benchmark's parameters.</summary>
internal sealed record IngestOptions
{
    /// <summary>Kubernetes Services, spread evenly over <see cref="Namespaces"/>; each has one EndpointSlice.</summary>
    public int Services { get; init; } = 10_000;

    /// <summary>Endpoints per Service: one Pod each, joined from the slice by targetRef.</summary>
    public int Endpoints { get; init; } = 10;

    public int Namespaces { get; init; } = 100;

    /// <summary>Nodes the Pods are spread over (each with region and zone labels); 0: none.</summary>
    public int Nodes { get; init; } = 100;

    /// <summary>Watch events per second during the churn phase.</summary>
    public double Rate { get; init; } = 1000;

    /// <summary>Length of the churn phase.</summary>
    public TimeSpan ChurnDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Share of churn events that are Pod status heartbeats (no effective change); the rest move an endpoint.</summary>
    public double HeartbeatShare { get; init; } = 0.5;

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(600);

    public string ResultsDir { get; init; } = Path.Combine("loadtest", "results");

    public bool Live { get; init; }

    [JsonIgnore]
    public Action<string>? Log { get; init; }

    [JsonIgnore]
    public int TotalEndpoints => Services * Endpoints;

    /// <summary>Why these options cannot run, or null.</summary>
    public string? Problem() =>
        Services < 1 ? "--services must be at least 1"
        : Endpoints is < 1 or > 1000 ? "--endpoints must be 1..1000 (one EndpointSlice holds at most 1000)"
        : Namespaces < 1 || Namespaces > Services ? "--namespaces must be 1..services"
        : Nodes < 0 ? "--nodes must not be negative"
        : (long)Services * Endpoints > 1_000_000 ? "at most 1,000,000 endpoints (pod IPs come from 10.0.0.0/8 with room to spare)"
        : Rate <= 0 ? "--rate must be positive"
        : ChurnDuration < TimeSpan.Zero ? "--churn-seconds must not be negative"
        : Rate * ChurnDuration.TotalSeconds * (1 - HeartbeatShare) > 1_000_000 ? "at most 1,000,000 endpoint moves per run (new addresses come from 172.16.0.0/12)"
        : HeartbeatShare is < 0 or > 1 ? "--heartbeat-share must be 0..1"
        : null;

    /// <summary>The shared live-status plumbing takes the common options.</summary>
    [JsonIgnore]
    public LoadOptions Status => new() { Live = Live, Log = Log, ResultsDir = ResultsDir, Timeout = Timeout };
}
