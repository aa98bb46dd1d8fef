using System.Diagnostics.Metrics;
using Grpc.Core;
using Mesh.Model.Translation;
using Mesh.XdsGateway.Protocol;

namespace Mesh.XdsGateway;

/// <summary>
/// The gateway's metrics on the <c>Mesh.XdsGateway</c> meter, fed through <see cref="IXdsCallbacks"/>.
/// Names follow Istio's pilot_xds_* family without the prefix; tags are short type names (cds, eds, …).
/// </summary>
public sealed class XdsMetrics : IXdsCallbacks
{
    public const string MeterName = "Mesh.XdsGateway";

    private readonly Counter<long> _pushes;
    private readonly Counter<long> _pushBytes;
    private readonly Counter<long> _rejects;
    private readonly Counter<long> _expiredNonce;
    private readonly Counter<long> _connects;
    private readonly Counter<long> _disconnects;
    private readonly Counter<long> _streamErrors;
    private readonly Counter<long> _streamsClosed;
    private readonly Counter<long> _statusReports;
    private readonly Counter<long> _statusReportCalls;
    private readonly Counter<long> _refused;
    private readonly Counter<long> _loadFailures;
    private readonly Counter<long> _resolutions;
    private readonly Counter<long> _renewalRefetches;
    private readonly Counter<long> _onDemand;
    private readonly Counter<long> _fallbackReports;
    private readonly Counter<long> _writeGateWaits;
    private readonly Counter<long> _writeGateOvertime;
    private readonly Counter<long> _connectGateWaits;
    private readonly Counter<long> _connectGateOvertime;
    private readonly Histogram<double> _connectGateWait;
    private readonly Histogram<double> _connectSettle;
    private readonly Histogram<double> _grainLoad;
    private readonly Histogram<double> _learnToPush;
    private long _connections;
    private readonly Counter<long> _withheld;
    private readonly Counter<long> _adapted;
    private readonly Counter<long> _rolloutNacks;

    public XdsMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter = meterFactory.Create(MeterName);
        _pushes = Meter.CreateCounter<long>("xds_pushes", description: "xDS responses sent, by type.");
        _rolloutNacks = Meter.CreateCounter<long>("mesh_rollout_nack_reports", description: "NACKs of candidate resources by cohort streams, reported to their rollouts (one per stream and rollout).");
        _pushBytes = Meter.CreateCounter<long>("xds_push_bytes", "By", "Resource bytes sent, by type.");
        _rejects = Meter.CreateCounter<long>("xds_rejects", description: "NACKs received, by type (X-43).");
        _expiredNonce = Meter.CreateCounter<long>("xds_expired_nonce", description: "Requests with a stale nonce, by type (X-13).");
        _connects = Meter.CreateCounter<long>("xds_connects", description: "Streams opened.");
        _fallbackReports = Meter.CreateCounter<long>("mesh_fence_fallback_reports",
            description: "Lazy egress access-log entries, by result (reported to a fence; repeat: reported recently; or why skipped: no-source, bad-source, no-authority, bad-authority, foreign-namespace, unknown-peer).");
        _learnToPush = Seconds("mesh_fence_learn_to_push_seconds",
            "From a learning event reaching this gateway (access log, on-demand or proxyless subscription) to each stream of that fence here ACKing clusters that hold the host, by source.",
            [0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 10, 30]);
        _onDemand = Meter.CreateCounter<long>("xds_ondemand_clusters",
            description: "Cluster hosts a fenced sidecar subscribed outside its fence, by result (learned: taught to its fence; dropped: over the per-stream limit; failed: the fence grain call failed).");
        _disconnects = Meter.CreateCounter<long>("xds_disconnects", description: "Streams closed.");
        _streamErrors = Meter.CreateCounter<long>("xds_stream_errors", description: "Streams ended with an error status, by gRPC code.");
        _streamsClosed = Meter.CreateCounter<long>("xds_streams_closed", description: "Streams the gateway ended with UNAVAILABLE so the client reconnects, by reason (max_age, drain).");
        _statusReports = Meter.CreateCounter<long>("xds_status_reports", description: "Proxies whose sent/ACK/NACK status was reported (each with news in a flush counts once).");
        _statusReportCalls = Meter.CreateCounter<long>("xds_status_report_calls", description: "Status report calls: one per status shard holding reported proxies per flush (at most 32).");
        _refused = Meter.CreateCounter<long>("xds_requests_refused", description: "Requests that exceeded a subscription limit and ended their stream with RESOURCE_EXHAUSTED, by type and limit (S-05).");
        _renewalRefetches = Meter.CreateCounter<long>("xds_lease_renewal_refetches", description: "Lease renewals that found a grain's resources changed from what the gateway held (a missed notification repaired), by grain.");
        _resolutions = Meter.CreateCounter<long>("xds_resolutions",
            description: "Resolved sets built for streams, by type and how: whole (every name resolved) or patch (changed names applied to the set held); shared by a scope's streams, so one per change, not per stream.");
        _loadFailures = Meter.CreateCounter<long>("xds_grain_load_failures", description: "Failed fetches of a workload, scope or service from the grains, by grain; the gateway retries and the streams waiting stay open.");
        _writeGateWaits = Meter.CreateCounter<long>("xds_write_gate_waits",
            description: "Responses that waited for a write slot (more than Xds:MaxConcurrentWrites streams were writing).");
        _writeGateOvertime = Meter.CreateCounter<long>("xds_write_gate_overtime",
            description: "Writes that held their slot longer than Xds:WriteSlotHold (the client's flow-control window was full) and went on without it.");
        _grainLoad = Seconds("xds_grain_load_seconds",
            "How long first fetches of a workload, scope or service from the grains took (from the first stream needing it to its snapshot applied, retries included), by grain.",
            [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
        _connectGateWaits = Meter.CreateCounter<long>("xds_connect_gate_waits",
            description: "New streams that waited for a connect slot (more than Xds:MaxConcurrentConnects streams were being brought to their first complete config).");
        _connectGateWait = Seconds("xds_connect_gate_wait_seconds",
            "How long new streams that waited for a connect slot waited.",
            [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]);
        _connectSettle = Seconds("xds_connect_settle_seconds",
            "From a new stream's admission to its settling (every type it asked for answered and acknowledged): how long clients take to take their first config; with Xds:MaxConcurrentConnects it bounds how many streams a gateway admits per second.",
            [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5]);
        _connectGateOvertime = Meter.CreateCounter<long>("xds_connect_gate_overtime",
            description: "New streams that kept their connect slot for Xds:ConnectSlotHold without settling (the slot went to the next stream).");
        _withheld = Meter.CreateCounter<long>("xds_withheld_features",
            description: "Streams of proxyless gRPC clients whose version is known to mishandle a feature, which Mesh then leaves out of their resources, by feature (route_timeout) and client (C-core major version).");
        _adapted = Meter.CreateCounter<long>("xds_adapted_resources",
            description: "Resources a gateway built for a kind of client, once per resource version and kind, by reason: locality (a load assignment's locality plan applied for one proxy locality) or client (a route or cluster adapted to a proxyless client's version or gRPC's semantics).");
        Meter.CreateObservableGauge("xds_connections", () => Interlocked.Read(ref _connections), description: "Open streams.");
    }

    /// <summary>A histogram of durations in seconds with its bucket boundaries.</summary>
    private Histogram<double> Seconds(string name, string description, double[] buckets) =>
        Meter.CreateHistogram<double>(name, "s", description, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = buckets });

    /// <summary>The meter instance (per service provider), for listeners in tests.</summary>
    public Meter Meter { get; }

    public void OnStreamOpened(ProxyNode node, bool delta)
    {
        Interlocked.Increment(ref _connections);
        _connects.Add(1);
        foreach (var feature in ProxylessClients.Withheld(node.Quirks))
        {
            _withheld.Add(1, new KeyValuePair<string, object?>("feature", feature), new KeyValuePair<string, object?>("client", ClientLabel(node)));
        }
    }

    private static string ClientLabel(ProxyNode node) =>
        ProxylessClients.CoreMajor(node.UserAgentName, node.UserAgentVersion) is { } major
            ? "C-core " + major.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : "other";

    public void OnStreamClosed(ProxyNode node, bool delta)
    {
        Interlocked.Decrement(ref _connections);
        _disconnects.Add(1);
    }

    public void OnStreamError(StatusCode code) => _streamErrors.Add(1, new KeyValuePair<string, object?>("code", code.ToString()));

    /// <summary>A first fetch of a <paramref name="grain"/> (workload, scope, service) completed after <paramref name="seconds"/>.</summary>
    public void OnGrainLoaded(string grain, double seconds) => _grainLoad.Record(seconds, new KeyValuePair<string, object?>("grain", grain));

    /// <summary>A fetch from a grain failed (not an <see cref="IXdsCallbacks"/> event: it is the grain watcher's).</summary>
    public void OnGrainLoadFailure(string grain) => _loadFailures.Add(1, new KeyValuePair<string, object?>("grain", grain));

    /// <summary>The gateway built a resource adapted to a kind of client (not an <see cref="IXdsCallbacks"/> event: the grain watcher's).</summary>
    public void OnAdapted(string reason) => _adapted.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>A lease renewal found the grain's resources differ from those held and fetched them.</summary>
    public void OnRenewalRefetch(string grain) => _renewalRefetches.Add(1, new KeyValuePair<string, object?>("grain", grain));

    /// <summary>A status flush reported <paramref name="proxies"/> proxies in <paramref name="calls"/> status shard calls (not an <see cref="IXdsCallbacks"/> event: it is the grain watcher's).</summary>
    public void OnStatusReports(int proxies, int calls)
    {
        _statusReports.Add(proxies);
        _statusReportCalls.Add(calls);
    }

    public void OnStreamClosedByServer(string reason) => _streamsClosed.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void OnResponseSent(ProxyNode node, string typeUrl, int resourceCount, long bytes)
    {
        var tag = TypeTag(typeUrl);
        _pushes.Add(1, tag);
        _pushBytes.Add(bytes, tag);
    }

    public void OnAck(ProxyNode node, string typeUrl, string version)
    {
    }

    public void OnNack(ProxyNode node, string typeUrl, string version, string errorDetail) => _rejects.Add(1, TypeTag(typeUrl));

    public void OnExpiredNonce(ProxyNode node, string typeUrl) => _expiredNonce.Add(1, TypeTag(typeUrl));

    public void OnRequestRefused(ProxyNode node, string typeUrl, string limit) =>
        _refused.Add(1, TypeTag(typeUrl), new KeyValuePair<string, object?>("limit", limit));

    private static KeyValuePair<string, object?> TypeTag(string typeUrl) => new("type", TypeUrls.ShortName(typeUrl));

    /// <summary>A stream's set of <paramref name="typeUrl"/> built (<paramref name="how"/>: whole or patch).</summary>
    public void OnResolution(string typeUrl, string how) =>
        _resolutions.Add(1, TypeTag(typeUrl), new KeyValuePair<string, object?>("how", how));

    /// <summary>On-demand CDS: <paramref name="count"/> hosts a fenced sidecar subscribed outside its fence, and what became of them.</summary>
    public void OnOnDemandClusters(string result, int count) =>
        _onDemand.Add(count, new KeyValuePair<string, object?>("result", result));

    /// <summary>One stream holding a learned host, <paramref name="seconds"/> after the report reached the gateway.</summary>
    public void OnLearnToPush(string source, double seconds) =>
        _learnToPush.Record(seconds, new KeyValuePair<string, object?>("source", source));

    /// <summary>Lazy egress access-log entries and what became of them (<paramref name="result"/>).</summary>
    public void OnFallbackReports(string result, int count) =>
        _fallbackReports.Add(count, new KeyValuePair<string, object?>("result", result));

    /// <summary>A response waited for a write slot (not an <see cref="IXdsCallbacks"/> event: it is the write gate's).</summary>
    public void OnWriteGateWait() => _writeGateWaits.Add(1);

    /// <summary>A write kept its slot past the hold and went on without it.</summary>
    public void OnWriteGateOvertime() => _writeGateOvertime.Add(1);

    /// <summary>A new stream waited <paramref name="seconds"/> for a connect slot.</summary>
    public void OnConnectGateWait(double seconds)
    {
        _connectGateWaits.Add(1);
        _connectGateWait.Record(seconds);
    }

    /// <summary>A new stream settled <paramref name="seconds"/> after it was admitted.</summary>
    public void OnConnectSettled(double seconds) => _connectSettle.Record(seconds);

    /// <summary>A new stream kept its connect slot for the whole hold without settling.</summary>
    public void OnConnectGateOvertime() => _connectGateOvertime.Add(1);

    /// <summary>Publishes the connect slots in use and the streams waiting for one.</summary>
    public void ObserveConnectGate(Func<int> inUse, Func<int> waiting)
    {
        Meter.CreateObservableGauge("xds_connect_gate_in_use", inUse, description: "New streams being brought to their first complete config (of Xds:MaxConcurrentConnects).");
        Meter.CreateObservableGauge("xds_connect_gate_waiting", waiting, description: "New streams waiting for a connect slot.");
    }

    /// <summary>Publishes the write slots in use, read from <paramref name="inUse"/>.</summary>
    public void ObserveWriteGate(Func<int> inUse) =>
        Meter.CreateObservableGauge("xds_write_gate_in_use", inUse, description: "Write slots in use (of Xds:MaxConcurrentWrites).");

    /// <summary>Publishes, per staged rollout in flight, how many of this gateway's streams are in its cohort.</summary>
    public void ObserveRolloutCohorts(Func<IEnumerable<KeyValuePair<string, int>>> cohorts, Func<long> variantBytes)
    {
        Meter.CreateObservableGauge("mesh_rollout_cohort_proxies", () => cohorts().Select(c => new Measurement<int>(c.Value, new KeyValuePair<string, object?>("rollout", c.Key))),
            description: "Streams of this gateway in each staged rollout's cohort (served its candidate).");
        Meter.CreateObservableGauge("mesh_rollout_variant_bytes", variantBytes, "By",
            "Bytes of staged rollouts' candidate variants this gateway holds (only the resources a candidate changes exist twice).");
    }

    /// <summary>A cohort stream NACKed a candidate resource and the gateway reported it to the rollout.</summary>
    public void OnRolloutNackReported() => _rolloutNacks.Add(1);
}
