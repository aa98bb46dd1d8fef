using System.Globalization;
using System.Text;
using Mesh.Model.Translation;

namespace Mesh.LoadTest;

/// <summary>
/// config-churn under a staged rollout (<c>--rollout-stages</c>): a mesh-wide RolloutPolicy governs
/// the changes. Promotion: the churn's own timing (write → every proxy holds the change) then covers
/// every stage, and the rollouts' outcomes, durations and the candidate bytes the gateways held are
/// printed. Rollback (<c>--rollout-nack</c>): every proxy NACKs the first route it is sent after a
/// change, so the first stage's cohort NACKs its candidate; timed from the first NACK to each cohort
/// proxy holding the baseline again, with a count of proxies outside the cohort that were sent the
/// candidate (must be 0).
/// </summary>
internal static class RolloutBench
{
    private static readonly string[] Outcomes = ["succeeded", "rolled_back", "superseded", "aborted"];

    public static IReadOnlyList<double> Stages(LoadOptions o) =>
        [.. (o.RolloutStages ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture))];

    /// <summary>Writes the policy and gives the ingest time to apply it (it governs the next change).</summary>
    public static async Task PrepareAsync(Session session, CancellationToken cancellationToken)
    {
        var stages = Stages(session.Options);
        await session.Generator.WriteRolloutPolicyAsync(stages, session.Options.RolloutBake).ConfigureAwait(false);
        session.Options.Log?.Invoke($"RolloutPolicy mesh-system/load: stages {string.Join(" → ", stages.Select(s => s.ToString(CultureInfo.InvariantCulture) + "%"))}, bake {session.Options.RolloutBake.TotalSeconds} s");
        await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken).ConfigureAwait(false); // the manifest watch and the ingest's debounce
    }

    /// <summary>After a promoting churn: the rollouts' outcomes and durations (silo) and the peak candidate bytes the gateways held.</summary>
    public static async Task<string> SummarizeAsync(Session session, long peakVariantBytes, CancellationToken cancellationToken)
    {
        var samples = await session.Target!.SampleAsync(cancellationToken).ConfigureAwait(false);
        var outcomes = string.Join(", ", Outcomes
            .Select(o => (o, n: samples.Sum(s => s.Metric($"mesh_rollouts_total{{outcome=\"{o}\"}}"))))
            .Where(x => x.n > 0).Select(x => $"{x.n} {x.o}"));
        var p50 = MetricsScrape.Quantile(samples.Select(s => s.Metrics), "mesh_rollout_duration_seconds", 0.5);
        var p99 = MetricsScrape.Quantile(samples.Select(s => s.Metrics), "mesh_rollout_duration_seconds", 0.99);
        var line = string.Create(CultureInfo.InvariantCulture,
            $"  rollouts: {(outcomes.Length == 0 ? "none ended" : outcomes)}; start → end p50 {Seconds(p50)}, p99 {Seconds(p99)} (the silo's histogram); peak candidate bytes held by the gateways {peakVariantBytes:N0}");
        Console.WriteLine(line);
        return line;
    }

    /// <summary>The gateways' <c>mesh_rollout_variant_bytes</c>, summed.</summary>
    public static async Task<long> VariantBytesAsync(Session session, CancellationToken cancellationToken)
    {
        var samples = await session.Target!.SampleAsync(cancellationToken).ConfigureAwait(false);
        return (long)samples.Sum(s => s.Metric("mesh_rollout_variant_bytes"));
    }

    private static string Seconds(double? s) => s is { } v ? v.ToString("F2", CultureInfo.InvariantCulture) + " s" : "-";

    /// <summary>
    /// The rollback measurement, over <see cref="LoadOptions.Changes"/> changes: the first proxy sent the
    /// candidate route NACKs it, the rest of the first stage's cohort accept it; timed from that NACK
    /// to each cohort proxy that accepted being sent the baseline again. A proxy is in the cohort by
    /// its node id's bucket (as the gateways compute it); any proxy outside that was sent the candidate counts.
    /// </summary>
    public static async Task<string> RollbackAsync(Session session, CancellationToken cancellationToken)
    {
        var o = session.Options;
        var churned = session.Shape.Churned;
        var threshold = Model.Rollouts.Cohort.Threshold(Stages(o)[0]);
        var inCohort = session.Swarm.Proxies.Select(p => Model.Rollouts.Cohort.BucketOf(p.Id) < threshold).ToArray();
        var latencies = new List<double>();
        var perChange = new List<string>();
        var leaked = 0;
        var notBack = 0;
        await session.Swarm.WaitQuietAsync(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        for (var c = 0; c < o.Changes; c++)
        {
            session.ResetNacks();
            while (session.Events.TryDequeue(out _))
            {
            }
            var markerNumber = 1_000 + c;
            session.StartRecording();
            session.NackRoutes = true;
            var written = await session.Generator.ChangeVirtualServiceAsync(churned[c % churned.Count], markerNumber).ConfigureAwait(false);

            // Until the NACK came and every proxy that took the candidate was sent a route without it.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (clock.Elapsed < o.Timeout)
            {
                await Task.Delay(200, cancellationToken).ConfigureAwait(false);
                if (session.Nacker < 0 || clock.Elapsed < TimeSpan.FromSeconds(2))
                {
                    continue;
                }
                var (took, _) = Outcome(session.Events.ToArray(), markerNumber);
                if (took.All(t => t.Value.Back is not null))
                {
                    break;
                }
            }
            session.NackRoutes = false;
            await session.Swarm.WaitQuietAsync(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            session.StopRecording();

            var nacker = session.Nacker;
            if (nacker < 0 || session.States[nacker].NackedAt is not { } firstNack)
            {
                perChange.Add($"change {c}: no proxy was sent the candidate within {o.Timeout.TotalSeconds} s");
                continue;
            }
            var (accepted, leakedProxies) = Outcome(session.Events.ToArray(), markerNumber, inCohort);
            leaked += leakedProxies;
            var back = accepted.Values.Where(t => t.Back is not null).Select(t => (t.Back!.Value - firstNack).TotalMilliseconds).ToList();
            notBack += accepted.Values.Count(t => t.Back is null);
            latencies.AddRange(back);
            var p = Percentiles.Of(back.Select(ms => TimeSpan.FromMilliseconds(ms)).ToList());
            perChange.Add(string.Create(CultureInfo.InvariantCulture,
                $"change {c} ({MeshGenerator.Marker(markerNumber)}): written → NACK {(firstNack - written).TotalMilliseconds:F0} ms; {accepted.Count + 1} cohort proxies were sent the candidate (1 NACKed, {accepted.Count} accepted it); NACK → each of those back on the baseline {Report.Ms(p)} ms; outside the cohort sent the candidate: {leakedProxies}"));
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
        }
        var all = Percentiles.Of(latencies.Select(ms => TimeSpan.FromMilliseconds(ms)).ToList());
        var summary = string.Create(CultureInfo.InvariantCulture,
            $"  rollback: {o.Changes} changes (cohort {inCohort.Count(x => x)} of {inCohort.Length} proxies by bucket); NACK → each cohort proxy that took the candidate holding the baseline again {Report.Ms(all)} ms (n={latencies.Count}); {notBack} never sent the baseline again; proxies outside the cohort sent the candidate: {leaked}");
        Console.WriteLine(summary);
        foreach (var line in perChange)
        {
            Console.WriteLine("    " + line);
        }
        var stem = $"rollout-rollback-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}";
        var md = new StringBuilder().AppendLine(CultureInfo.InvariantCulture, $"# config-churn --rollout-nack: {session.Swarm.Proxies.Count} proxies, stages {o.RolloutStages}, bake {o.RolloutBake.TotalSeconds} s")
            .AppendLine().AppendLine(summary.Trim()).AppendLine();
        foreach (var line in perChange)
        {
            md.AppendLine("- " + line);
        }
        Directory.CreateDirectory(o.ResultsDir);
        var path = Path.Combine(o.ResultsDir, stem + ".md");
        await File.WriteAllTextAsync(path, md.ToString(), cancellationToken).ConfigureAwait(false);
        Console.WriteLine($"report: {path}");
        return summary;
    }

    /// <summary>
    /// Per proxy that applied a route carrying the change's marker: when, and when it was next sent
    /// one without it (null: not yet); and how many of them are outside the cohort (<paramref name="inCohort"/>).
    /// </summary>
    private static (Dictionary<int, (DateTime Took, DateTime? Back)> Accepted, int Leaked) Outcome(UpdateEvent[] events, int marker, bool[]? inCohort = null)
    {
        var accepted = new Dictionary<int, (DateTime Took, DateTime? Back)>();
        foreach (var e in events.Where(e => e.TypeUrl == TypeUrls.Route).OrderBy(e => e.ReceivedAt))
        {
            var carries = e.Markers.Contains(marker);
            if (carries && !accepted.ContainsKey(e.Proxy))
            {
                accepted[e.Proxy] = (e.ReceivedAt, null);
            }
            else if (!carries && accepted.TryGetValue(e.Proxy, out var t) && t.Back is null)
            {
                accepted[e.Proxy] = (t.Took, e.ReceivedAt);
            }
        }
        return (accepted, inCohort is null ? 0 : accepted.Keys.Count(p => !inCohort[p]));
    }
}
