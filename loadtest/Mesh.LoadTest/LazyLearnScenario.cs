using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Envoy.Service.Accesslog.V3;
using Grpc.Net.Client;
using Mesh.LoadTest.Proxies;
using Mesh.Model.Translation;

namespace Mesh.LoadTest;

/// <summary>
/// <c>lazy-learn</c>: a lazy mesh end to end. S services × E endpoints over 100 namespaces, W
/// workloads each fenced (a Slime ServiceFence per workload Service, one static host) with P sidecars
/// (delta and SotW alternating, spread over the gateways), and the lazy egress in mesh-system. Phases:
/// connect (each proxy from its start to holding its fenced config: its static host and the egress);
/// idle CPU of the mesh; learning events at a fixed rate (each one access-log entry, as the egress
/// sends, naming a new host for one workload, round-robin over the gateways' AccessLogService), each
/// timed from its send to every proxy of that workload holding the new cluster and its EDS; idle CPU
/// again, now with every learned entry alive (nothing expires within the default quiet period).
/// </summary>
internal static class LazyLearnScenario
{
    internal sealed record Options(
        int Services = 10_000, int Endpoints = 10, int Workloads = 500, int ProxiesPerWorkload = 2, double Rate = 1000, int Events = 10_000,
        bool Cluster = true, int Gateways = 2, double Ramp = 500, int IdleSeconds = 20, int SeedHosts = 0, string ResultsDir = "loadtest/results");

    /// <summary>Services and workloads spread over this many namespaces (<c>lt0</c>…), as a real mesh is.</summary>
    private const int Namespaces = 100;
    private static string Ns(int i) => string.Create(CultureInfo.InvariantCulture, $"lt{i % Namespaces}");
    private static string Host(int i) => string.Create(CultureInfo.InvariantCulture, $"s{i}.{Ns(i)}.svc.cluster.local");
    private static string Cluster(int i) => ResourceNames.OutboundCluster(80, null, Host(i));
    private static readonly string EgressCluster = ResourceNames.OutboundCluster(80, null, MeshSettings.DefaultLazyEgress);

    public static async Task<int> RunAsync(Options o, CancellationToken cancellationToken)
    {
        var dir = Directory.CreateTempSubdirectory("mesh-lazy-learn-").FullName;
        try
        {
            WriteMesh(dir, o);
            await using IMeshTarget target = o.Cluster
                ? await ClusterTarget.StartAsync(dir, o.Gateways, cancellationToken).ConfigureAwait(false)
                : await EmbeddedTarget.StartAsync(dir, cancellationToken).ConfigureAwait(false);
            var gateways = target.Gateways;
            var count = o.Workloads * o.ProxiesPerWorkload;
            // Per (proxy index, cluster): when the proxy first held it with its EDS.
            var held = new ConcurrentDictionary<(int Proxy, string Name), (bool Cluster, bool Eds, DateTime At)>();
            var waiting = new ConcurrentDictionary<(int Proxy, string Cluster), TaskCompletionSource<DateTime>>();
            var ids = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
            var received = new long[count]; // resource bytes received per proxy, every type
            await using var swarm = new ProxySwarm(count, i => new SimulatedProxyOptions
            {
                Node = SimulatedProxyOptions.SidecarNode(
                    string.Create(CultureInfo.InvariantCulture, $"w{i / o.ProxiesPerWorkload}-7d9f-{i}"), Ns(i / o.ProxiesPerWorkload), MeshShape.ProxyIp(i),
                    new Dictionary<string, string> { ["app"] = string.Create(CultureInfo.InvariantCulture, $"w{i / o.ProxiesPerWorkload}") }),
                Mode = i % 2 == 0 ? ProxyMode.Delta : ProxyMode.Sotw,
                Gateways = ProxySwarm.StartingAt(gateways, i % gateways.Count),
                OnUpdate = u => OnUpdate(u),
            }, new SwarmOptions { ConnectsPerSecond = o.Ramp, ShareChannels = true, SpreadOverGateways = false });
            for (var i = 0; i < count; i++)
            {
                ids[swarm.Proxies[i].Id] = i;
            }

            void OnUpdate(ResourceUpdate u)
            {
                if (u.Removed || !ids.TryGetValue(u.ProxyId, out var proxy))
                {
                    return;
                }
                Interlocked.Add(ref received[proxy], u.Body.Length);
                if (u.TypeUrl != TypeUrls.Cluster && u.TypeUrl != TypeUrls.Endpoint)
                {
                    return;
                }
                var state = held.AddOrUpdate((proxy, u.Name),
                    _ => (u.TypeUrl == TypeUrls.Cluster, u.TypeUrl == TypeUrls.Endpoint, u.ReceivedAt),
                    (_, s) => (s.Cluster || u.TypeUrl == TypeUrls.Cluster, s.Eds || u.TypeUrl == TypeUrls.Endpoint, u.ReceivedAt));
                if (state.Cluster && state.Eds && waiting.TryRemove((proxy, u.Name), out var done))
                {
                    done.TrySetResult(state.At);
                }
            }

            Task<DateTime> Holding(int proxy, string cluster)
            {
                var tcs = waiting.GetOrAdd((proxy, cluster), _ => new TaskCompletionSource<DateTime>(TaskCreationOptions.RunContinuationsAsynchronously));
                if (held.TryGetValue((proxy, cluster), out var s) && s.Cluster && s.Eds && waiting.TryRemove((proxy, cluster), out var t))
                {
                    t.TrySetResult(s.At);
                }
                return tcs.Task;
            }

            // Connect: each proxy until it holds its static host and the egress.
            Console.WriteLine($"lazy-learn: {o.Services} services × {o.Endpoints} endpoints, {o.Workloads} fenced workloads × {o.ProxiesPerWorkload} proxies, {gateways.Count} gateway(s)");
            var connectWaits = Enumerable.Range(0, count).Select(i => Task.WhenAll(Holding(i, Cluster((i / o.ProxiesPerWorkload) % o.Services)), Holding(i, EgressCluster))).ToList();
            await target.CollectGatewayGarbageAsync(cancellationToken).ConfigureAwait(false);
            var idleSamples = await target.SampleAsync(cancellationToken).ConfigureAwait(false);
            // A proxy's start is its slot in the ramp (the swarm starts proxy i at i / ramp, later when connects queue).
            var rampStart = DateTime.UtcNow;
            var started = await swarm.StartAsync(cancellationToken).ConfigureAwait(false);
            var rampEnd = rampStart + started.Elapsed;
            var connected = await Task.WhenAll(connectWaits).WaitAsync(TimeSpan.FromSeconds(300), cancellationToken).ConfigureAwait(false);
            var connect = Percentiles.Of(connected.Select((t, i) => t.Max() - (rampStart + TimeSpan.FromSeconds(i / o.Ramp))));
            var allHeldAfterRamp = (connected.Max(t => t.Max()) - rampEnd).TotalSeconds;
            await swarm.WaitQuietAsync(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            var bytes = received.Select(b => Interlocked.Read(ref b)).Order().ToList();
            var clusters = swarm.Proxies.Select(p => p.View().Count(TypeUrls.Cluster)).Max();
            await target.CollectGatewayGarbageAsync(cancellationToken).ConfigureAwait(false);
            var memory = GatewayMemory.Of(idleSamples, await target.SampleAsync(cancellationToken).ConfigureAwait(false), o.Cluster);
            var memoryText = memory is { } m ? $"; gateway memory per lazy proxy {m.RssKbPerProxy} KB RSS, {m.HeapKbPerProxy} KB live heap ({m.Streams} streams)" : "";
            Console.WriteLine($"  connect: {started.Started}/{count} started in {started.Elapsed.TotalSeconds:F1} s; start → fenced config {Report.Ms(connect)} ms; all held {allHeldAfterRamp:F2} s after the ramp; bytes received per proxy median {bytes[bytes.Count / 2]:N0}, at most {clusters} clusters held{memoryText}");

            var idleBefore = await IdleCpuAsync(target, o.IdleSeconds, cancellationToken).ConfigureAwait(false);
            var seeded = "";
            if (o.SeedHosts > 0)
            {
                var admin = target switch
                {
                    ClusterTarget c => c.Admin("silo"),
                    EmbeddedTarget e => e.Admin,
                    _ => throw new InvalidOperationException("no admin address"),
                };
                var seedClock = Stopwatch.StartNew();
                var taught = await SeedAsync(admin, o, cancellationToken).ConfigureAwait(false);
                await swarm.WaitQuietAsync(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(300)).ConfigureAwait(false);
                var seedSeconds = seedClock.Elapsed.TotalSeconds;
                // The proxies are quiet, but the mesh may still be settling (writes, status marks): two windows.
                var idleSeeded = await IdleCpuAsync(target, o.IdleSeconds, cancellationToken).ConfigureAwait(false);
                var idleSettled = await IdleCpuAsync(target, o.IdleSeconds, cancellationToken).ConfigureAwait(false);
                seeded = string.Create(CultureInfo.InvariantCulture, $"{taught:N0} hosts seeded through the admin API in {seedSeconds:F1} s (pushes included); idle mesh CPU over {o.IdleSeconds} s with them: {idleSeeded} once the proxies were quiet, {idleSettled} in the next {o.IdleSeconds} s (before: {idleBefore})");
                Console.WriteLine("  seed: " + seeded);
            }

            // Learning: event k teaches workload k mod W the host s(W + k / W ...) it has not learned yet.
            var channels = gateways.Select(g => GrpcChannel.ForAddress(g)).ToList();
            var streams = channels.Select(c => new AccessLogService.AccessLogServiceClient(c).StreamAccessLogs(cancellationToken: cancellationToken)).ToList();
            for (var g = 0; g < streams.Count; g++)
            {
                await streams[g].RequestStream.WriteAsync(new StreamAccessLogsMessage
                {
                    Identifier = new StreamAccessLogsMessage.Types.Identifier
                    {
                        Node = new Envoy.Config.Core.V3.Node { Id = string.Create(CultureInfo.InvariantCulture, $"router~10.255.0.{g + 1}~mesh-lazy-egress-7d9f-{g}.mesh-system~mesh-system.svc.cluster.local") },
                        LogName = ListenerBuilder.LazyAccessLogName,
                    },
                }, cancellationToken).ConfigureAwait(false);
            }
            var costBefore = target.Cost();
            var samplesBefore = await target.SampleAsync(cancellationToken).ConfigureAwait(false);
            var latencies = new ConcurrentBag<TimeSpan>();
            var perEvent = new ConcurrentBag<TimeSpan>();
            // Per second of the phase the events were sent in: shows a warm-up (first learns of every fence) apart from the steady state.
            var bySecond = new ConcurrentDictionary<int, ConcurrentBag<TimeSpan>>();
            var timeouts = 0;
            var pending = new List<Task>(o.Events);
            var learnClock = Stopwatch.StartNew();
            // As Envoy's access logger does, entries due together travel in one message per stream: a
            // sender awaiting one write per event would cap the rate at its write latency, not at R.
            for (var next = 0; next < o.Events;)
            {
                var due = Math.Min(o.Events, (int)(learnClock.Elapsed.TotalSeconds * o.Rate) + 1);
                if (due <= next)
                {
                    // At least a millisecond: Task.Delay rounds a shorter wait down to none, and the loop
                    // then spun on the clock (15% of all CPU samples on the machine at 1,000/s, taken from the mesh).
                    var wait = TimeSpan.FromSeconds(next / o.Rate) - learnClock.Elapsed;
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(1, Math.Ceiling(wait.TotalMilliseconds))), cancellationToken).ConfigureAwait(false);
                    continue;
                }
                var batches = streams.Select(_ => new StreamAccessLogsMessage.Types.HTTPAccessLogEntries()).ToList();
                var batchWaits = new List<List<Task<DateTime>>>(due - next);
                for (var k = next; k < due; k++)
                {
                    var workload = k % o.Workloads;
                    var host = (workload + 1 + (k / o.Workloads)) % o.Services;
                    batchWaits.Add([.. Enumerable.Range(workload * o.ProxiesPerWorkload, o.ProxiesPerWorkload).Select(p => Holding(p, Cluster(host)))]);
                    var request = new Envoy.Data.Accesslog.V3.HTTPRequestProperties { Authority = Host(host), Path = "/" };
                    request.RequestHeaders[ListenerBuilder.LazySourceHeader] = string.Create(CultureInfo.InvariantCulture, $"{Ns(workload)}/w{workload}");
                    batches[k % streams.Count].LogEntry.Add(new Envoy.Data.Accesslog.V3.HTTPAccessLogEntry { Request = request });
                }
                var sent = DateTime.UtcNow;
                var second = (int)learnClock.Elapsed.TotalSeconds;
                await Task.WhenAll(streams.Select((st, g) => batches[g].LogEntry.Count == 0
                    ? Task.CompletedTask
                    : st.RequestStream.WriteAsync(new StreamAccessLogsMessage { HttpLogs = batches[g] }, cancellationToken))).ConfigureAwait(false);
                pending.AddRange(batchWaits.Select(w => Observe(w, sent, second)));
                next = due;
            }
            var sendSeconds = learnClock.Elapsed.TotalSeconds;
            await Task.WhenAll(pending).ConfigureAwait(false);

            async Task Observe(List<Task<DateTime>> waits, DateTime sent, int second)
            {
                try
                {
                    var at = await Task.WhenAll(waits).WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
                    var inSecond = bySecond.GetOrAdd(second, _ => []);
                    foreach (var t in at)
                    {
                        latencies.Add(t - sent);
                        inSecond.Add(t - sent);
                    }
                    perEvent.Add(at.Max() - sent);
                }
                catch (TimeoutException)
                {
                    Interlocked.Increment(ref timeouts);
                }
            }

            foreach (var s in streams)
            {
                await s.RequestStream.CompleteAsync().ConfigureAwait(false);
                await s.ResponseAsync.ConfigureAwait(false);
                s.Dispose();
            }
            foreach (var c in channels)
            {
                c.Dispose();
            }
            var learnCpu = target.Cost().CpuSeconds - costBefore.CpuSeconds;
            var samples = await target.SampleAsync(cancellationToken).ConfigureAwait(false);
            // Per process, what grew over the phase: "role value, role value, ...".
            string Grown(Func<ProcessSample, double> value, string format, double scale = 1) => string.Join(", ", samples.Select(a =>
                $"{a.Role} {((value(a) - (samplesBefore.FirstOrDefault(b => b.Role == a.Role) is { } before ? value(before) : 0)) / scale).ToString(format, CultureInfo.InvariantCulture)}"));
            var byRole = Grown(a => a.CpuSeconds, "F1");
            var pauses = $"GC pauses in the phase (s): {Grown(a => a.Metric("dotnet_gc_pause_seconds_total"), "F2")}; JIT (s): {Grown(a => a.Metric("dotnet_jit_compilation_seconds_total"), "F2")}; "
                + $"allocated (MB): {Grown(a => a.Metric("dotnet_gc_allocated_bytes_total"), "F0", 1048576)}; "
                + $"collections gen0/gen1/gen2: {string.Join(", ", samples.Select(a => $"{a.Role} " + string.Join("/", Enumerable.Range(0, 3).Select(g => Collections(a, g) - (samplesBefore.FirstOrDefault(b => b.Role == a.Role) is { } before ? Collections(before, g) : 0)))))}";
            static double Collections(ProcessSample sample, int generation) => sample.Metric($"dotnet_gc_collections_total{{generation=\"{generation}\"}}");
            var gw = samples.Where(x => x.Role.StartsWith("gateway", StringComparison.Ordinal) || x.Role == "embedded").ToList();
            var gwCount = gw.Sum(x => x.Metric("mesh_fence_learn_to_push_seconds_count"));
            var gwMean = gwCount == 0 ? 0 : gw.Sum(x => x.Metric("mesh_fence_learn_to_push_seconds_sum")) / gwCount * 1000;
            var gwQuantiles = string.Join(", ", new[] { ("p50", 0.5), ("p99", 0.99) }.Select(p =>
                $"{p.Item1} {(MetricsScrape.Quantile(gw.Select(x => x.Metrics), "mesh_fence_learn_to_push_seconds", p.Item2) is { } v ? (v * 1000).ToString("F0", CultureInfo.InvariantCulture) : "-")}"));
            var within = MetricsScrape.ShareAtMost(gw.Select(x => x.Metrics), "mesh_fence_learn_to_push_seconds", 0.25) is { } share
                ? (share * 100).ToString("F2", CultureInfo.InvariantCulture) + "% within 250 ms"
                : "no observations";
            var perProxy = Percentiles.Of(latencies);
            var lastProxy = Percentiles.Of(perEvent);
            var p99BySecond = string.Join(", ", bySecond.OrderBy(b => b.Key).Select(b =>
                string.Create(CultureInfo.InvariantCulture, $"{b.Key}s {Percentiles.Of(b.Value).P99:F0}")));
            Console.WriteLine($"  learning: {o.Events} events sent in {sendSeconds:F1} s ({o.Events / sendSeconds:F0}/s); report → each proxy holds cluster + EDS {Report.Ms(perProxy)} ms; → the workload's last proxy {Report.Ms(lastProxy)} ms; {timeouts} not held within 30 s; mesh CPU {learnCpu:F1} s ({byRole}); gateways' own learn → push mean {gwMean:F0} ms, {gwQuantiles} ms (from their buckets), {within}, over {gwCount:N0}");
            Console.WriteLine($"  each proxy's p99 (ms) by the second of the phase its event was sent in: {p99BySecond}; {pauses}");

            await swarm.WaitQuietAsync(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            var idleAfter = await IdleCpuAsync(target, o.IdleSeconds, cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"  idle mesh CPU over {o.IdleSeconds} s: {idleBefore} before learning, {idleAfter} with {o.Events:N0} learned entries alive");

            var stem = $"lazy-learn-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}";
            var md = new StringBuilder()
                .AppendLine(CultureInfo.InvariantCulture, $"# lazy-learn: {o.Services} services × {o.Endpoints} endpoints, {o.Workloads} fenced workloads × {o.ProxiesPerWorkload} proxies, {gateways.Count} gateway(s)")
                .AppendLine()
                .AppendLine(CultureInfo.InvariantCulture, $"- connect: {started.Started}/{count} in {started.Elapsed.TotalSeconds:F1} s; start → fenced config ms {Report.Ms(connect)}; all held {allHeldAfterRamp:F2} s after the ramp; resource bytes received per proxy median {bytes[bytes.Count / 2]:N0}, max {bytes[^1]:N0}; at most {clusters} clusters held{memoryText}")
                .AppendLine(CultureInfo.InvariantCulture, $"- learning: {o.Events} events at {o.Events / sendSeconds:F0}/s; report sent → each proxy holds cluster + EDS, ms: {Report.Ms(perProxy)}; → last proxy of the workload, ms: {Report.Ms(lastProxy)}; {timeouts} not held within 30 s; mesh CPU {learnCpu:F1} s over the phase ({byRole}); the gateways' mesh_fence_learn_to_push_seconds mean {gwMean:F0} ms, {gwQuantiles} ms (from their buckets), {within}, over {gwCount:N0} observations")
                .AppendLine(CultureInfo.InvariantCulture, $"- each proxy's p99 (ms) by the second of the phase its event was sent in: {p99BySecond}; {pauses}")
                .AppendLine(CultureInfo.InvariantCulture, $"- idle mesh CPU over {o.IdleSeconds} s: {idleBefore} before learning; {idleAfter} with {o.Events:N0} learned entries{(seeded.Length > 0 ? " (and the seeded ones)" : "")}")
                .AppendLine(seeded.Length > 0 ? "- seed: " + seeded : "");
            Directory.CreateDirectory(o.ResultsDir);
            await File.WriteAllTextAsync(Path.Combine(o.ResultsDir, stem + ".md"), md.ToString(), cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"report: {Path.Combine(o.ResultsDir, stem + ".md")}");
            return timeouts == 0 && started.Failed == 0 ? 0 : 1;
        }
        finally
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // A temp directory left behind is harmless.
            }
        }
    }

    /// <summary>
    /// Teaches each workload's fence <see cref="Options.SeedHosts"/> hosts the learning phase never
    /// names, one admin call per fence (8 in flight); returns how many hosts were new.
    /// </summary>
    private static async Task<int> SeedAsync(Uri admin, Options o, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = admin, Timeout = TimeSpan.FromSeconds(60) };
        var added = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, o.Workloads), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (w, ct) =>
        {
            var first = w + 2 + (o.Events / o.Workloads); // past the hosts the learning events teach this workload
            var hosts = Enumerable.Range(first, o.SeedHosts).Select(j => "\"" + Host(j % o.Services) + "\"");
            using var body = new StringContent("{\"hosts\": [" + string.Join(',', hosts) + "]}", Encoding.UTF8, "application/json");
            using var response = await http.PostAsync(new Uri(string.Create(CultureInfo.InvariantCulture, $"/api/v1/fences/{Ns(w)}/w{w}/hosts"), UriKind.Relative), body, ct).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"seeding fence {Ns(w)}/w{w}: {(int)response.StatusCode} {text}");
            }
            using var doc = System.Text.Json.JsonDocument.Parse(text);
            Interlocked.Add(ref added, doc.RootElement.GetProperty("added").GetArrayLength());
        }).ConfigureAwait(false);
        return added;
    }

    /// <summary>The mesh processes' CPU seconds over <paramref name="seconds"/> of nothing happening.</summary>
    private static async Task<IdleCpu> IdleCpuAsync(IMeshTarget target, int seconds, CancellationToken cancellationToken)
    {
        var samplesBefore = await target.SampleAsync(cancellationToken).ConfigureAwait(false);
        var before = target.Cost();
        await Task.Delay(TimeSpan.FromSeconds(seconds), cancellationToken).ConfigureAwait(false);
        var total = target.Cost().CpuSeconds - before.CpuSeconds;
        var samples = await target.SampleAsync(cancellationToken).ConfigureAwait(false);
        var byRole = string.Join(", ", samples.Select(a => string.Create(CultureInfo.InvariantCulture, $"{a.Role} {a.CpuSeconds - (samplesBefore.FirstOrDefault(b => b.Role == a.Role)?.CpuSeconds ?? 0):F2}")));
        return new IdleCpu(total, byRole);
    }

    /// <summary>Mesh CPU seconds over an idle window, and by process.</summary>
    private sealed record IdleCpu(double Total, string ByRole)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Total:F2} CPU-s ({ByRole})");
    }

    private static void WriteMesh(string dir, Options o)
    {
        var sb = new StringBuilder();
        void Service(string name, string ns, string ip, string? selector, int endpoints, int index)
        {
            sb.Append(CultureInfo.InvariantCulture, $$$"""
                apiVersion: v1
                kind: Service
                metadata: {name: {{{name}}}, namespace: {{{ns}}}}
                spec: {clusterIP: {{{ip}}}, {{{(selector is null ? "" : $"selector: {{app: {selector}}}, ")}}}ports: [{name: http, port: 80, targetPort: 8080}]}
                ---

                """);
            if (endpoints == 0)
            {
                return;
            }
            sb.Append(CultureInfo.InvariantCulture, $$$"""
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: {{{name}}}-slice, namespace: {{{ns}}}, labels: {kubernetes.io/service-name: {{{name}}}}}
                addressType: IPv4
                ports: [{name: http, port: 8080, protocol: TCP}]
                endpoints:

                """);
            for (var j = 0; j < endpoints; j++)
            {
                sb.Append(CultureInfo.InvariantCulture, $"- {{addresses: [10.{1 + (index / 250)}.{index % 250}.{j + 1}], conditions: {{ready: true}}}}\n");
            }
            sb.Append("---\n");
        }

        Service("mesh-lazy-egress", "mesh-system", "10.95.0.1", "mesh-lazy-egress", 2, 31_999);
        File.WriteAllText(Path.Combine(dir, "egress.yaml"), sb.ToString());
        for (var i = 0; i < o.Services; i++)
        {
            sb.Clear();
            Service($"s{i}", Ns(i), string.Create(CultureInfo.InvariantCulture, $"10.96.{i / 250}.{(i % 250) + 1}"), null, o.Endpoints, i);
            File.WriteAllText(Path.Combine(dir, string.Create(CultureInfo.InvariantCulture, $"svc-s{i}.yaml")), sb.ToString());
        }
        for (var w = 0; w < o.Workloads; w++)
        {
            sb.Clear();
            Service($"w{w}", Ns(w), string.Create(CultureInfo.InvariantCulture, $"10.97.{w / 250}.{(w % 250) + 1}"), $"w{w}", 0, 0);
            sb.Append(CultureInfo.InvariantCulture, $$$"""
                apiVersion: microservice.slime.io/v1alpha1
                kind: ServiceFence
                metadata: {name: w{{{w}}}, namespace: {{{Ns(w)}}}}
                spec:
                  enable: true
                  host:
                    {{{Host(w % o.Services)}}}: {stable: {}}

                """);
            File.WriteAllText(Path.Combine(dir, string.Create(CultureInfo.InvariantCulture, $"fence-w{w}.yaml")), sb.ToString());
        }
    }
}
