using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Mesh.LoadTest;

/// <summary>
/// Writes a run's result as <c>&lt;scenario&gt;-&lt;yyyyMMdd-HHmmss&gt;.json</c>, <c>.md</c> and a
/// <c>.png</c> chart of convergence over time under the results directory.
/// </summary>
internal static class Report
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static void Write(string dir, string scenario, ConnectResult result)
    {
        var sb = Header(scenario, result.Options);
        Connect(sb, result);
        Save(dir, scenario, result, sb, "Connect: time from a proxy's start to its full config", "proxy start (s since the ramp began)", "start → full config (ms)");
    }

    public static void Write(string dir, string scenario, ChurnResult r)
    {
        var sb = Header(scenario, r.Connect.Options);
        Connect(sb, r.Connect);
        var what = r.Scenario == "config-churn" ? $"VirtualService/DestinationRule changes ({r.Connect.Options.ConfigKind})" : "endpoint changes";
        sb.Append(CultureInfo.InvariantCulture, $"""

            ## Churn: {what}

            | | |
            | --- | --- |
            | changes applied / converged at every affected proxy | {r.ChangesApplied} / {r.ChangesConverged} |
            | churned services | {r.ChurnedServices} |
            | affected (see a churned service) / unaffected proxies | {r.AffectedProxies} / {r.UnaffectedProxies} |
            | proxies in sync with the final manifests | {r.FinalInSync} / {r.Connect.Options.Proxies} |
            | convergence, manifest write → last affected proxy (ms) | {Ms(r.Convergence)} |
            | convergence, ingest apply (grain writes begin) → last affected proxy (ms) | {Ms(r.ConvergenceFromApply)} |
            | per proxy, ingest apply → the proxy holds the change (ms; every affected proxy of every change) | {(r.ProxyConvergenceFromApply is { } pp ? Ms(pp) : "n/a")} |
            | fan-out rate, p50 over changes (proxies updated per second: seers / convergence) | {r.FanoutPerSecondP50} |
            | staged rollout (`--rollout-stages {r.Connect.Options.RolloutStages ?? "-"}`, bake {r.Connect.Options.RolloutBake.TotalSeconds} s) | {r.Rollouts?.Trim() ?? "none"} |
            | EDS updates for clusters the proxy does not see | {r.UnsubscribedEdsUpdates} |
            | responses (any type) to unaffected proxies during churn | {r.ResponsesToUnaffected} |
            | silo + gateway CPU per change / ingest CPU per change | {Cpu(r.MeshCpuMsPerChange, r.Connect.Options)} / {Cpu(r.IngestCpuMsPerChange, r.Connect.Options)} |
            | scope builds per change (silo's mesh_scope_builds_total) | {SiloMetrics.Show(r.ScopeBuildsPerChange)} |
            | grain calls per change (silo's mesh_grain_calls_total, all labels) | {SiloMetrics.Show(r.GrainCallsPerChange)} |
            | CPU seconds (whole run) / peak RSS | {r.Cost.CpuSeconds} s / {r.Cost.PeakRssMb} MB ({r.Cost.Note}) |

            Pushes received by the proxies during churn:


            """);
        PushTable(sb, r.Pushes);
        ServerTable(sb, "during churn", r.Server);
        Problems(sb, r.SomeProblems);
        Save(dir, scenario, r, sb, $"{scenario}: convergence of each change", "change written (s since churn began)", "write → last affected proxy (ms)");
    }

    public static void Write(string dir, string scenario, StormResult r)
    {
        var sb = Header(scenario, r.Connect.Options);
        Connect(sb, r.Connect);
        sb.Append(CultureInfo.InvariantCulture, $"""

            ## Reconnect storm: gateway{r.KilledGateway} SIGKILLed{(r.Restarted ? " and restarted" : "")}, {r.ChangesDuringOutage} endpoint change(s) right after

            | | |
            | --- | --- |
            | proxies on the killed gateway / back in sync | {r.ProxiesOnKilledGateway} / {r.BackInSync} |
            | kill → proxy back in sync (ms) | {Ms(r.KillToInSync)} |
            | all moved proxies back in sync after the kill | {r.AllBackInSyncMs} ms |
            | proxies in sync with the final manifests | {r.FinalInSync} / {r.Connect.Options.Proxies} |
            | reconnects / safety violations (a proxy without config it held) | {r.Reconnects} / {r.SafetyViolations} |

            Received by the {r.MovedDeltaProxies} moved delta proxies (resumed with initial_resource_versions):


            """);
        PushTable(sb, r.MovedDeltaPushes);
        sb.Append(CultureInfo.InvariantCulture, $"\nReceived by the {r.MovedSotwProxies} moved SotW proxies (SotW resends everything by design):\n\n");
        PushTable(sb, r.MovedSotwPushes);
        sb.Append("\nReceived by the proxies that stayed:\n\n");
        PushTable(sb, r.StayedPushes);
        ServerTable(sb, "during the storm", r.Server);
        Problems(sb, r.SomeProblems);
        Save(dir, scenario, r, sb, "reconnect-storm: kill → each moved proxy back in sync", "proxy index", "kill → in sync (ms)");
    }

    /// <summary>Writes the JSON, Markdown and chart of a run; sets its paths.</summary>
    public static void Save(string dir, string scenario, RunResult result, StringBuilder markdown, string chartTitle, string xLabel, string yLabel)
    {
        var stem = Stem(dir, scenario);
        result.JsonPath = stem + ".json";
        result.MarkdownPath = stem + ".md";
        result.ChartPath = stem + ".png";
        var points = result.Chart;
        Chart.WriteScatter(result.ChartPath, chartTitle, xLabel, yLabel,
            [new ChartSeries($"{points.Count} samples", [.. points.Select(p => p.X)], [.. points.Select(p => p.Y)])]);
        markdown.Append(CultureInfo.InvariantCulture, $"\n![{chartTitle}]({Path.GetFileName(result.ChartPath)})\n");
        File.WriteAllText(result.JsonPath, JsonSerializer.Serialize<object>(result, Json));
        File.WriteAllText(result.MarkdownPath, markdown.ToString());
    }

    public static string Ms(Percentiles p) => $"p50 {p.P50}, p95 {p.P95}, p99 {p.P99}, max {p.Max} (n={p.Count})";

    public static StringBuilder Header(string scenario, LoadOptions o) =>
        new StringBuilder().Append(CultureInfo.InvariantCulture, $"""
            # Mesh load test: {scenario}

            {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC, {Environment.ProcessorCount} cores, target: {o.TargetDescription}.

            {(o.Namespaced ? NamespacedParameters(o) : FlatParameters(o))}


            """);

    private static string FlatParameters(LoadOptions o) => string.Create(CultureInfo.InvariantCulture, $"""
        Parameters: proxies {o.Proxies}, ramp {o.Ramp}/s, services {o.Services}, endpoints {o.Endpoints}, delta share {o.DeltaShare}, proxyless share {o.ProxylessShare}, zones {o.Zones},
        groups {o.Groups}, deps {(o.Deps?.ToString(CultureInfo.InvariantCulture) ?? "all")} (fan-in {o.FanIn:0.##} groups per service),
        rate {o.Rate}/s, changes {o.Changes}, churned services {o.ChurnedServices}, visible fraction {o.VisibleFraction}, timeout {o.Timeout.TotalSeconds} s.
        """);

    private static string NamespacedParameters(LoadOptions o) => string.Create(CultureInfo.InvariantCulture, $"""
        Parameters: namespaced mesh, {o.Namespaces} namespaces × {o.ServicesPerNamespace} services and {o.WorkloadsPerNamespace} workloads × {o.ProxiesPerWorkload} proxies
        (proxies {o.Proxies}), plus namespace shared with {o.SharedServices} services every proxy sees; each namespace's Sidecar: ./* and shared/*;
        ramp {o.Ramp}/s, endpoints {o.Endpoints}, delta share {o.DeltaShare}, proxyless share {o.ProxylessShare}, zones {o.Zones}, rate {o.Rate}/s, changes {o.Changes},
        churn {o.Churn} ({o.ChurnedServices} services), timeout {o.Timeout.TotalSeconds} s.
        """);

    public static void PushTable(StringBuilder sb, Dictionary<string, TypeCount> pushes)
    {
        sb.AppendLine("| type | responses | resources | new or changed | resent unchanged |").AppendLine("| --- | --- | --- | --- | --- |");
        foreach (var (type, c) in pushes)
        {
            sb.Append(CultureInfo.InvariantCulture, $"| {type} | {c.Responses} | {c.Resources} | {c.Changed} | {c.Resent} |\n");
        }
    }

    public static void ServerTable(StringBuilder sb, string phase, ServerPhase server)
    {
        sb.Append(CultureInfo.InvariantCulture, $"""

            Mesh processes {phase} ({server.Seconds} s; {server.PushesPerSecond} pushes/s, {server.PushBytesPerSecond / 1024:0.#} KiB/s of resources):

            | process | CPU s | JIT compiling s | GC paused s | RSS MB | peak RSS MB | heap after GC MB | pushes | resource bytes | open streams |
            | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |

            """);
        foreach (var p in server.Processes)
        {
            sb.Append(CultureInfo.InvariantCulture, $"| {p.Role} | {p.CpuSeconds} | {p.JitSeconds} | {p.GcPauseSeconds} | {p.RssMb} | {p.PeakRssMb} | {p.HeapAfterGcMb} | {p.Pushes} | {p.PushBytes} | {p.Connections} |\n");
        }
    }

    public static void Problems(StringBuilder sb, IReadOnlyList<string> problems)
    {
        if (problems.Count > 0)
        {
            sb.AppendLine().AppendLine("Problems (first few):").AppendLine();
            foreach (var p in problems)
            {
                sb.Append(CultureInfo.InvariantCulture, $"* {p}\n");
            }
        }
    }

    private static string Cpu(double ms, LoadOptions o) => o.Cluster ? $"{ms} ms" : "n/a (embedded: one process)";

    public static void Connect(StringBuilder sb, ConnectResult r)
    {
        var m = r.Memory;
        var memory = m is null ? "n/a (embedded: the proxies share the process)"
            : $"{m.RssKbPerProxy} KB RSS, {m.HeapKbPerProxy} KB live managed heap, after a full GC ({m.Streams} streams; +{m.RssGrowthMb} MB RSS, +{m.HeapGrowthMb} MB heap)";
        sb.Append(CultureInfo.InvariantCulture, $"""
            ## Connect

            | | |
            | --- | --- |
            | proxies started / failed to start | {r.Started} / {r.FailedToStart} |
            | with full config / in sync (exact EDS versions) | {r.FullConfig} / {r.InSync} |
            | ramp | {r.RampSeconds} s |
            | all with full config, after the ramp's end | {r.AllFullConfigAfterRampSeconds} s |
            | start → full config (ms) | {Ms(r.TimeToFullConfig)} |
            | EDS updates for clusters the proxy does not see | {r.UnsubscribedEdsUpdates} |
            | stream resets during connect (failed streams, reconnects, at proxies) | {r.Resets?.ToString() ?? "n/a"} |
            | gateway memory per connected proxy | {memory} |
            | CPU seconds / peak RSS at the end of connect | {r.Cost.CpuSeconds} s / {r.Cost.PeakRssMb} MB ({r.Cost.Note}) |

            Pushes during connect:


            """);
        PushTable(sb, r.Pushes);
        if (r.Shape is { } shape)
        {
            Shape(sb, shape);
        }
        ServerTable(sb, "during connect", r.Server);
        Problems(sb, r.SomeProblems);
    }

    private static void Shape(StringBuilder sb, MeshShapeStats s) => sb.Append(CultureInfo.InvariantCulture, $"""

        Namespaced mesh after connect:

        | | |
        | --- | --- |
        | namespaces / services per namespace / shared services | {s.Namespaces} / {s.ServicesPerNamespace} / {s.SharedServices} |
        | workloads / proxies per workload | {s.Workloads} / {s.ProxiesPerWorkload} |
        | scopes (silo's mesh_grain_activations, kind scope) | {SiloMetrics.Show(s.Scopes)} |
        | silo live heap after a full GC / per scope | {SiloMetrics.Show(s.SiloLiveHeapMb, " MB")} / {SiloMetrics.Show(s.SiloKbPerScope, " KB")} |
        | silo live heap growth since before connect / per scope | {SiloMetrics.Show(s.SiloHeapGrowthMb, " MB")} / {SiloMetrics.Show(s.SiloGrowthKbPerScope, " KB")} |

        """);

    private static string Stem(string dir, string scenario)
    {
        Directory.CreateDirectory(dir);
        var stem = Path.Combine(dir, $"{scenario}-{DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}");
        var name = stem;
        for (var n = 2; File.Exists(name + ".json") && n < 100; n++)
        {
            name = string.Create(CultureInfo.InvariantCulture, $"{stem}-{n}");
        }
        return name;
    }
}
