using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Mesh.Grains.Rollouts;

/// <summary>Rollout metrics of this silo (meter <c>Mesh.Grains</c>): stage per rollout in flight, outcomes, gate failures, durations.</summary>
internal static class RolloutMetrics
{
    private static readonly ConcurrentDictionary<string, int> Stages = new(StringComparer.Ordinal);

    public static readonly Counter<long> Outcomes = GrainMetrics.Meter.CreateCounter<long>("mesh_rollouts", description: "Staged rollouts ended, by outcome (succeeded, rolled_back, superseded, aborted).");
    public static readonly Counter<long> GateFailures = GrainMetrics.Meter.CreateCounter<long>("mesh_rollout_gate_failures", description: "Rollouts rolled back by a gate, by reason (nack, health, aborted).");
    public static readonly Histogram<double> Duration = GrainMetrics.Meter.CreateHistogram<double>("mesh_rollout_duration_seconds", "s", "From a rollout's start to its end (any outcome).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.5, 1, 2, 3, 5, 10, 30, 60, 300, 900, 3600] });

    static RolloutMetrics() =>
        GrainMetrics.Meter.CreateObservableGauge("mesh_rollout_stage", () => Stages.Select(kv => new Measurement<int>(kv.Value, new KeyValuePair<string, object?>("rollout", kv.Key))),
            description: "The current stage (0-based) of each rollout in flight whose grain is on this silo.");

    public static void SetStage(string rollout, int stage) => Stages[rollout] = stage;

    public static void Ended(string rollout) => Stages.TryRemove(rollout, out _);
}
