using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Mesh.LoadTest;

/// <summary>Writes a run's result as <c>&lt;scenario&gt;-&lt;yyyyMMdd-HHmmss&gt;.json</c> and <c>.md</c> under the results directory.</summary>
internal static class Report
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static void Write(string dir, string scenario, ConnectResult result)
    {
        var (json, md) = Paths(dir, scenario);
        result.JsonPath = json;
        result.MarkdownPath = md;
        File.WriteAllText(json, JsonSerializer.Serialize(result, Json));
        var sb = Header(scenario, result.Options);
        Connect(sb, result);
        File.WriteAllText(md, sb.ToString());
    }

    public static void Write(string dir, string scenario, ChurnResult result)
    {
        var (json, md) = Paths(dir, scenario);
        result.JsonPath = json;
        result.MarkdownPath = md;
        File.WriteAllText(json, JsonSerializer.Serialize(result, Json));
        var sb = Header(scenario, result.Connect.Options);
        Connect(sb, result.Connect);
        sb.Append(CultureInfo.InvariantCulture, $"""

            ## EDS churn

            | | |
            | --- | --- |
            | changes applied / converged at every affected proxy | {result.ChangesApplied} / {result.ChangesConverged} |
            | churned services | {result.ChurnedServices} |
            | affected (see the churned services) / unaffected proxies | {result.AffectedProxies} / {result.UnaffectedProxies} |
            | proxies in sync with the final manifests | {result.FinalInSync} / {result.Connect.Options.Proxies} |
            | convergence, write → last affected proxy (ms) | p50 {result.Convergence.P50}, p95 {result.Convergence.P95}, p99 {result.Convergence.P99}, max {result.Convergence.Max} (n={result.Convergence.Count}) |
            | EDS updates for clusters the proxy does not see | {result.UnsubscribedEdsUpdates} |
            | responses (any type) to unaffected proxies during churn | {result.ResponsesToUnaffected} |
            | CPU seconds (whole run) / peak RSS | {result.Cost.CpuSeconds} s / {result.Cost.PeakRssMb} MB ({result.Cost.Note}) |

            Pushes during churn:


            """);
        PushTable(sb, result.Pushes);
        Problems(sb, result.SomeProblems);
        File.WriteAllText(md, sb.ToString());
    }

    private static (string Json, string Md) Paths(string dir, string scenario)
    {
        Directory.CreateDirectory(dir);
        var stem = Path.Combine(dir, $"{scenario}-{DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}");
        var name = stem;
        for (var n = 2; File.Exists(name + ".json") && n < 100; n++)
        {
            name = string.Create(CultureInfo.InvariantCulture, $"{stem}-{n}");
        }
        return (name + ".json", name + ".md");
    }

    private static StringBuilder Header(string scenario, LoadOptions o) =>
        new StringBuilder().Append(CultureInfo.InvariantCulture, $"""
            # Mesh load test: {scenario}

            {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC, {Environment.ProcessorCount} cores, target: {o.TargetDescription}.

            Parameters: proxies {o.Proxies}, ramp {o.Ramp}/s, services {o.Services}, endpoints {o.Endpoints}, delta share {o.DeltaShare},
            rate {o.Rate}/s, changes {o.Changes}, churned services {o.ChurnedServices}, visible fraction {o.VisibleFraction}, timeout {o.Timeout.TotalSeconds} s.


            """);

    private static void Connect(StringBuilder sb, ConnectResult r)
    {
        var t = r.TimeToFullConfig;
        sb.Append(CultureInfo.InvariantCulture, $"""
            ## Connect

            | | |
            | --- | --- |
            | proxies started / failed to start | {r.Started} / {r.FailedToStart} |
            | with full config / in sync (exact EDS versions) | {r.FullConfig} / {r.InSync} |
            | ramp | {r.RampSeconds} s |
            | all with full config, after the ramp's end | {r.AllFullConfigAfterRampSeconds} s |
            | start → full config (ms) | p50 {t.P50}, p95 {t.P95}, p99 {t.P99}, max {t.Max} (n={t.Count}) |
            | EDS updates for clusters the proxy does not see | {r.UnsubscribedEdsUpdates} |
            | CPU seconds / peak RSS at the end of connect | {r.Cost.CpuSeconds} s / {r.Cost.PeakRssMb} MB ({r.Cost.Note}) |

            Pushes during connect:


            """);
        PushTable(sb, r.Pushes);
        Problems(sb, r.SomeProblems);
    }

    private static void PushTable(StringBuilder sb, Dictionary<string, TypeCount> pushes)
    {
        sb.AppendLine("| type | responses | resources | new or changed | resent unchanged |").AppendLine("| --- | --- | --- | --- | --- |");
        foreach (var (type, c) in pushes)
        {
            sb.Append(CultureInfo.InvariantCulture, $"| {type} | {c.Responses} | {c.Resources} | {c.Changed} | {c.Resent} |\n");
        }
    }

    private static void Problems(StringBuilder sb, IReadOnlyList<string> problems)
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
}
