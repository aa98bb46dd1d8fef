using System.Diagnostics;
using System.Globalization;
using Mesh.LoadTest.Limit;
using Mesh.Model.Translation;

namespace Mesh.LoadTest;

/// <summary>
/// The <c>limit</c> scenario: the same swarm, mesh and resources as the mesh scenarios, served by
/// <see cref="LimitServer"/> (pre-serialized responses, no control-plane logic). Measures connect →
/// full config and the fan-out of EDS changes to a service every proxy sees, one change at a time:
/// from the server being handed the new resource to the last proxy holding it.
/// </summary>
internal static class LimitScenario
{
    public static async Task<LimitResult> RunAsync(LoadOptions options, CancellationToken cancellationToken = default)
    {
        // Every proxy sees every service: the limit server does no per-proxy filtering.
        options = options with { Limit = true, Cluster = false, Groups = 1, Deps = null, VisibleFraction = 1 };
        await using var session = await Session.StartAsync(options, cancellationToken).ConfigureAwait(false);
        var connect = await Scenarios.ConnectAsync(session, cancellationToken).ConfigureAwait(false);
        var server = ((LimitTarget)session.Target!).Server;
        await session.Swarm.WaitQuietAsync(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        var cluster = MeshGenerator.Cluster(0);
        var proxies = session.Seers(cluster).Count;
        var times = new List<TimeSpan>();
        var chart = new List<(double X, double Y)>();
        var written = server.ResponsesWritten;
        var bytes = server.BytesWritten;
        var clock = Stopwatch.StartNew();
        session.StartRecording();
        for (var c = 0; c < options.Changes; c++)
        {
            await session.Generator.ChangeEndpointAsync(0).ConfigureAwait(false);
            var resource = session.Generator.CurrentEds(0);
            var handedAt = DateTime.UtcNow;
            await server.ReplaceAsync(resource).ConfigureAwait(false);
            var all = await LiveStatus.RunAsync(options, "limit fan-out", () => $"change {c + 1}/{options.Changes}",
                session.Swarm.WaitAllAsync(v => v.Version(TypeUrls.Endpoint, cluster) == resource.Version, options.Timeout)).ConfigureAwait(false);
            if (!all.All)
            {
                break;
            }
            var last = session.Events.Where(e => e.TypeUrl == TypeUrls.Endpoint && e.Version == resource.Version).Max(e => e.ReceivedAt);
            var t = last - handedAt;
            times.Add(t);
            chart.Add((clock.Elapsed.TotalSeconds, t.TotalMilliseconds));
        }
        session.StopRecording();
        var rates = times.Where(t => t > TimeSpan.Zero).Select(t => proxies / t.TotalSeconds).Order().ToList();
        var result = new LimitResult(options, connect, options.Changes, times.Count, Percentiles.Of(times),
            rates.Count == 0 ? 0 : Math.Round(rates[rates.Count / 2]), server.ResponsesWritten - written, server.BytesWritten - bytes)
        {
            Chart = chart,
        };
        var sb = Report.Header("limit", options);
        sb.Append(CultureInfo.InvariantCulture, $"""
            ## Limit: minimal ADS server, pre-serialized responses, no control-plane logic

            | | |
            | --- | --- |
            | proxies with full config / in sync | {connect.FullConfig} / {connect.InSync} |
            | start → full config (ms) | {Report.Ms(connect.TimeToFullConfig)} |
            | all with full config, after the ramp's end | {connect.AllFullConfigAfterRampSeconds} s |
            | EDS changes fanned out to all {proxies} proxies / converged | {result.Changes} / {result.FanoutConverged} |
            | server handed the change → last proxy holds it (ms) | {Report.Ms(result.Fanout)} |
            | fan-out rate, p50 over changes (proxies updated per second) | {result.FanoutPerSecondP50} |
            | responses / bytes written during the fan-out | {result.ResponsesWritten} / {result.BytesWritten} |
            | CPU seconds / peak RSS (server and proxies, one process) | {connect.Cost.CpuSeconds} s / {connect.Cost.PeakRssMb} MB |

            Pushes during connect:


            """);
        Report.PushTable(sb, connect.Pushes);
        Report.Problems(sb, connect.SomeProblems);
        Report.Save(options.ResultsDir, "limit", result, sb, "limit: fan-out of each EDS change to every proxy", "change (s since the first)", "handed to server → last proxy (ms)");
        return result;
    }
}

/// <summary>The <c>limit</c> scenario's outcome.</summary>
internal sealed record LimitResult(
    LoadOptions Options,
    ConnectResult Connect,
    int Changes,
    int FanoutConverged,
    Percentiles Fanout,
    double FanoutPerSecondP50,
    long ResponsesWritten,
    long BytesWritten) : RunResult
{
    public int FullConfig => Connect.FullConfig;

    public Percentiles TimeToFullConfig => Connect.TimeToFullConfig;
}

/// <summary><see cref="LimitServer"/> as a target: one address, this process's cost, its counters as metrics.</summary>
internal sealed class LimitTarget(LimitServer server) : IMeshTarget
{
    public LimitServer Server { get; } = server;

    public IReadOnlyList<Uri> Gateways => [Server.Address];

    public Uri? IngestAdmin => null;

    public static async Task<LimitTarget> StartAsync(string manifests, CancellationToken cancellationToken) =>
        new(await LimitServer.StartAsync(LimitResources.FromManifests(manifests, MeshGenerator.Ns), cancellationToken).ConfigureAwait(false));

    public ProcessCost Cost() => ProcessCost.Now();

    public Task<IReadOnlyList<ProcessSample>> SampleAsync(CancellationToken cancellationToken)
    {
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["xds_pushes_total"] = Server.ResponsesWritten,
            ["xds_push_bytes_total"] = Server.BytesWritten,
            ["xds_connections"] = Server.OpenStreams,
        };
        return Task.FromResult<IReadOnlyList<ProcessSample>>([ProcessSample.OfThisProcess("limit", metrics)]);
    }

    public Task CollectGatewayGarbageAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<bool> CollectSiloGarbageAsync(CancellationToken cancellationToken) => Task.FromResult(false);

    public Task<bool> KillGatewayAsync(int index, CancellationToken cancellationToken) => Task.FromResult(false);

    public Task RestartGatewayAsync(int index, CancellationToken cancellationToken) => throw new NotSupportedException("the limit server cannot be restarted");

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
