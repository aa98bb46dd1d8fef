using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using Mesh.Model.Config;

namespace Mesh.Ingest.Status;

/// <summary>
/// What the ingest has seen and rejected, for <c>/debug/ingestz</c> and metrics: objects by kind,
/// every current error with kind/namespace/name/field/reason, and apply counters.
/// </summary>
public sealed class IngestStatus
{
    public static readonly Meter Meter = new("Mesh.Ingest");
    private static readonly Counter<long> Rejected = Meter.CreateCounter<long>("mesh_config_rejected", description: "Config objects or documents rejected (or valid but not served, such as a host defined twice or a workload with no address), by kind.");
    private static readonly Counter<long> Applies = Meter.CreateCounter<long>("mesh_ingest_applies", description: "Applies of the source to the grains.");
    private static readonly Counter<long> GrainWrites = Meter.CreateCounter<long>("mesh_ingest_grain_writes", description: "Grain writes made by applies (a write that changes nothing is not made).");
    private static readonly Counter<long> Unsupported = Meter.CreateCounter<long>("mesh_config_unsupported_fields", description: "Fields of served config objects that Mesh does not translate (ignored, object served without them), by kind, field path (list indexes as []) and the clients concerned (all, or proxyless when only proxyless gRPC clients go without it); counted when first seen.");
    private static readonly Counter<long> ApplyFailures = Meter.CreateCounter<long>("mesh_ingest_apply_failures", description: "Applies that failed and will be retried.");

    /// <summary>Recent applies kept for <c>/debug/ingestz</c> (their timeline lets a load test time convergence from the apply).</summary>
    public const int RecentApplies = 256;

    private volatile Snapshot _current = new(ImmutableSortedDictionary<string, int>.Empty, [], [], null, 0, 0, 0, null, false, []);

    /// <summary>An immutable view of the status.</summary>
    public sealed record Snapshot(
        ImmutableSortedDictionary<string, int> ObjectsByKind,
        ImmutableArray<ConfigError> Errors,
        ImmutableArray<ConfigError> Warnings,
        DateTimeOffset? LastApplied,
        long Applies,
        int LastWrites,
        long Writes,
        string? LastFailure,
        bool Synced,
        ImmutableArray<ApplyRecord> Recent)
    {
        public int Objects => ObjectsByKind.Values.Sum();
    }

    public Snapshot Current => _current;

    public void RecordLoad(IReadOnlyCollection<ConfigObject> objects, ImmutableArray<ConfigError> errors, ImmutableArray<ConfigError> warnings) =>
        RecordObjects(objects.GroupBy(o => o.Kind.ToString()).ToImmutableSortedDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal), errors, warnings);

    /// <summary>
    /// Objects held by kind, every current error (rejected objects, host conflicts, workloads left
    /// out of endpoints) and every current warning (fields of served objects Mesh does not translate).
    /// </summary>
    public void RecordObjects(ImmutableSortedDictionary<string, int> byKind, ImmutableArray<ConfigError> errors, ImmutableArray<ConfigError> warnings)
    {
        // Count only errors and warnings not seen in the previous load, so a file re-read does not inflate the counters.
        var previous = _current.Errors.Select(e => e.ToString()).ToHashSet(StringComparer.Ordinal);
        foreach (var e in errors.Where(e => !previous.Contains(e.ToString())))
        {
            Rejected.Add(1, new KeyValuePair<string, object?>("kind", e.Kind ?? "document"));
        }
        var warned = _current.Warnings.Select(e => e.ToString()).ToHashSet(StringComparer.Ordinal);
        foreach (var w in warnings.Where(w => !warned.Contains(w.ToString())))
        {
            Unsupported.Add(1, new KeyValuePair<string, object?>("kind", w.Kind ?? "document"), new KeyValuePair<string, object?>("field", ConfigWarnings.FieldLabel(w.Field)), new KeyValuePair<string, object?>("clients", ConfigWarnings.ClientsOf(w)));
        }
        _current = _current with { ObjectsByKind = byKind, Errors = errors, Warnings = warnings };
    }

    public void RecordApplied(ApplyRecord apply)
    {
        Applies.Add(1);
        GrainWrites.Add(apply.Writes);
        var c = _current;
        var recent = c.Recent.Length < RecentApplies ? c.Recent.Add(apply) : c.Recent.RemoveAt(0).Add(apply);
        _current = c with { LastApplied = apply.Completed, Applies = c.Applies + 1, LastWrites = apply.Writes, Writes = c.Writes + apply.Writes, LastFailure = null, Synced = true, Recent = recent };
    }

    public void RecordFailure(string message)
    {
        ApplyFailures.Add(1);
        _current = _current with { LastFailure = message };
    }
}

/// <summary>
/// One apply of the source: when it began reading (after the debounce), when the desired state was
/// compiled and grain writes began, when the last write returned, and how many grains it wrote.
/// </summary>
public sealed record ApplyRecord(DateTimeOffset Started, DateTimeOffset Compiled, DateTimeOffset Completed, int Writes);
