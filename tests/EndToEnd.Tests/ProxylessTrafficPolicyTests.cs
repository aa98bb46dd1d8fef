using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Mesh.EndToEnd.Tests.Harness;
using Xunit.Abstractions;

namespace Mesh.EndToEnd.Tests;

/// <summary>
/// Issue 15: Istio's route policies reach a real gRPC xDS client (grpcio's C-core) as gRPC applies
/// them — fault injection (gRFC A33), retries (A44), route timeouts as max_stream_duration (A31) —
/// observed on the wire against real backends: each backend answers with its name, and
/// <c>backend.py</c> sleeps or fails a first call on request.
/// </summary>
[Trait("Category", "Functional")]
public sealed class ProxylessTrafficPolicyTests(ITestOutputHelper log)
{
    private const string V1 = "v1-a";
    private const string V2 = "v2-b";
    private static readonly TimeSpan FirstAnswers = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Batch = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A33: <c>fault.abort</c> at 50% with <c>grpcStatus: ABORTED</c> fails half of 1,000 RPCs (± 5
    /// points) with ABORTED and lets the rest through; <c>fault.delay</c> of 400 ms at 100% holds
    /// every call at least that long; calls matching neither rule are untouched.
    /// </summary>
    [Fact(Timeout = 300_000)]
    public async Task FaultAbortAtHalf_AbortsHalfWithTheStatus_FixedDelay_DelaysEveryCall()
    {
        await using var processes = new TestProcesses(log);
        using var manifests = new TempManifestDir();
        var backends = processes.Add(await BackendProcess.StartAsync(V1, V2));
        EchoMesh.WriteTo(manifests, backends.Port(V1), backends.Port(V2), $$$$"""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: echo
              namespace: {{{{EchoMesh.Namespace}}}}
            spec:
              hosts: [{{{{EchoMesh.Host}}}}]
              http:
              - name: abort-half
                match: [{headers: {x-fault: {exact: abort}}}]
                fault: {abort: {grpcStatus: ABORTED, percentage: {value: 50}}}
                route: [{destination: {host: {{{{EchoMesh.Host}}}}, subset: v1}}]
              - name: delay-all
                match: [{headers: {x-fault: {exact: delay}}}]
                fault: {delay: {fixedDelay: 400ms, percentage: {value: 100}}}
                route: [{destination: {host: {{{{EchoMesh.Host}}}}, subset: v1}}]
              - name: plain
                route: [{destination: {host: {{{{EchoMesh.Host}}}}, subset: v1}}]
            """);
        var silo = processes.Add(await SiloProcess.StartAsync(manifests.Path));
        var client = processes.Add(await XdsClientProcess.StartAsync(silo.XdsPort, EchoMesh.Target));
        await Eventually.UntilAsync("the first 20 RPCs to succeed", FirstAnswers, () => client.CountAsync(20, Batch), c => c.Answered == 20 && c.Failed == 0);
        await AssertNoNackAsync(silo);

        var aborted = await client.CountAsync(1000, Batch, ("x-fault", "abort"));
        Assert.False(aborted.Incomplete, $"1,000 calls within {Batch}: {aborted}");
        Assert.True(aborted.Errors.Keys.All(code => code == "ABORTED"), $"every failure must carry the configured status ABORTED: {aborted}");
        Assert.True(Math.Abs(aborted.Failed - 500) <= 50, $"awaited 50% ± 5 points of 1,000 RPCs aborted; got {aborted.Failed}: {aborted}");
        Assert.Equal(1000 - aborted.Failed, aborted.Of(V1));

        var clock = Stopwatch.StartNew();
        var delayed = await client.CountAsync(10, Batch, ("x-fault", "delay"));
        var elapsed = clock.Elapsed;
        Assert.True(delayed.Of(V1) == 10 && delayed.Failed == 0, $"delayed calls still succeed: {delayed}");
        Assert.True(elapsed >= TimeSpan.FromMilliseconds(10 * 400), $"10 sequential calls each delayed 400 ms took only {elapsed.TotalMilliseconds:F0} ms");

        var plain = await client.CountAsync(200, Batch);
        Assert.True(plain.Of(V1) == 200 && plain.Failed == 0, $"calls matching no fault rule are untouched: {plain}");
        await AssertNoNackAsync(silo);
    }

    /// <summary>
    /// A44 and A31: with no <c>retries</c> Istio's default policy retries an UNAVAILABLE first attempt
    /// (the backend saw the call twice); <c>attempts: 0</c> disables retries (the call fails with the
    /// backend's UNAVAILABLE); a route <c>timeout</c> of 300 ms ends a 1.5 s call with
    /// DEADLINE_EXCEEDED (gRPC reads it as max_stream_duration) for grpc-js, and is withheld from
    /// C-core 1.51, which fires it early (issue 15 item 4).
    /// </summary>
    [Fact(Timeout = 300_000)]
    public async Task DefaultRetriesRetryAFailedFirstAttempt_ZeroAttemptsDoNot_RouteTimeoutEndsTheCall_ButNotForCCore151()
    {
        await using var processes = new TestProcesses(log);
        using var manifests = new TempManifestDir();
        var backends = processes.Add(await BackendProcess.StartAsync(V1, V2));
        EchoMesh.WriteTo(manifests, backends.Port(V1), backends.Port(V2), $$$$"""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: echo
              namespace: {{{{EchoMesh.Namespace}}}}
            spec:
              hosts: [{{{{EchoMesh.Host}}}}]
              http:
              - name: no-retries
                match: [{headers: {x-policy: {exact: no-retries}}}]
                retries: {attempts: 0}
                route: [{destination: {host: {{{{EchoMesh.Host}}}}, subset: v1}}]
              - name: short-timeout
                match: [{headers: {x-policy: {exact: timeout}}}]
                timeout: 300ms
                route: [{destination: {host: {{{{EchoMesh.Host}}}}, subset: v1}}]
              - name: istio-default-retries
                route: [{destination: {host: {{{{EchoMesh.Host}}}}, subset: v1}}]
            """);
        var silo = processes.Add(await SiloProcess.StartAsync(manifests.Path));
        var client = processes.Add(await XdsClientProcess.StartAsync(silo.XdsPort, EchoMesh.Target));
        await Eventually.UntilAsync("the first 20 RPCs to succeed", FirstAnswers, () => client.CountAsync(20, Batch), c => c.Answered == 20 && c.Failed == 0);
        await AssertNoNackAsync(silo);

        for (var i = 0; i < 5; i++)
        {
            var key = string.Create(CultureInfo.InvariantCulture, $"retried-{i}");
            var retried = await client.CountAsync(1, Batch, ("x-echo-fail-first", key));
            Assert.True(retried.Of(V1 + "#2") == 1, $"call {key}: awaited success on the second attempt (answer {V1}#2: the backend saw two); got {retried}");

            var single = await client.CountAsync(1, Batch, ("x-echo-fail-first", key + "-once"), ("x-policy", "no-retries"));
            Assert.True(single.Errors.GetValueOrDefault("UNAVAILABLE") == 1, $"call {key}-once with attempts 0: awaited the backend's UNAVAILABLE, not retried; got {single}");
        }

        // C-core 1.51 fires max_stream_duration 1–2 s early (a 50 ms call under a 300 ms timeout
        // ended in DEADLINE_EXCEEDED): Mesh withholds route timeouts from it (its user agent says
        // which version it is), so its calls run to the end; grpc-js, in the same namespace and
        // workload, gets the timeout and honours it.
        var js = processes.Add(await XdsClientProcess.StartAsync(silo.XdsPort, EchoMesh.Target, nodeId: JsNode, client: GrpcClient.GrpcJs));
        await Eventually.UntilAsync("grpc-js's first 20 RPCs to succeed", FirstAnswers, () => js.CountAsync(20, Batch), c => c.Answered == 20 && c.Failed == 0);
        var jsTimedOut = await js.CountAsync(3, Batch, ("x-policy", "timeout"), ("x-echo-sleep-ms", "1500"));
        Assert.True(jsTimedOut.Errors.GetValueOrDefault("DEADLINE_EXCEEDED") == 3, $"grpc-js: awaited the 300 ms route timeout to end each 1.5 s call; got {jsTimedOut}");
        var jsInTime = await js.CountAsync(5, Batch, ("x-policy", "timeout"), ("x-echo-sleep-ms", "50"));
        Assert.True(jsInTime.Of(V1) == 5, $"grpc-js: 50 ms calls fit the 300 ms timeout; got {jsInTime}");

        var coreSlow = await client.CountAsync(2, Batch, ("x-policy", "timeout"), ("x-echo-sleep-ms", "1500"));
        Assert.True(coreSlow.Of(V1) == 2, $"C-core 1.51: the route timeout is withheld, a 1.5 s call completes; got {coreSlow}");
        var coreFast = await client.CountAsync(5, Batch, ("x-policy", "timeout"), ("x-echo-sleep-ms", "50"));
        Assert.True(coreFast.Of(V1) == 5, $"C-core 1.51: 50 ms calls complete (no early timeout); got {coreFast}");

        var syncz = await silo.GetJsonAsync("/debug/syncz");
        string[] Withheld(string node) => [.. syncz.EnumerateArray().First(p => p.GetProperty("proxy").GetString() == node).GetProperty("withheld").EnumerateArray().Select(f => f.GetString()!)];
        Assert.Equal(["route_timeout"], Withheld(XdsClientProcess.DefaultNodeId));
        Assert.Empty(Withheld(JsNode));
        var (_, metrics) = await silo.GetAsync("/metrics");
        Assert.Contains("xds_withheld_features_total{client=\"C-core 29\",feature=\"route_timeout\"", metrics, StringComparison.Ordinal);
        await AssertNoNackAsync(silo, JsNode);
        await AssertNoNackAsync(silo);
    }

    /// <summary>
    /// A32: <c>connectionPool.http.http2MaxRequests: 2</c> lets two of six concurrent 1 s calls
    /// through and fails the other four at once with UNAVAILABLE; without the limit all six pass.
    /// </summary>
    [Fact(Timeout = 300_000)]
    public async Task CircuitBreaker_Http2MaxRequests_LimitsConcurrentRpcs()
    {
        await using var processes = new TestProcesses(log);
        using var manifests = new TempManifestDir();
        var backends = processes.Add(await BackendProcess.StartAsync(V1, V2));
        manifests.Write("echo-serviceentry.yaml", EchoMesh.ServiceEntry((backends.Port(V1), "v1"), (backends.Port(V2), "v2")));
        manifests.Write("echo-destinationrule.yaml", DestinationRule("connectionPool: {http: {http2MaxRequests: 2}}"));
        var silo = processes.Add(await SiloProcess.StartAsync(manifests.Path));
        var client = processes.Add(await XdsClientProcess.StartAsync(silo.XdsPort, EchoMesh.Target));
        await Eventually.UntilAsync("the first 20 RPCs to succeed", FirstAnswers, () => client.CountAsync(20, Batch), c => c.Answered == 20 && c.Failed == 0);
        await AssertNoNackAsync(silo);

        var limited = await client.ConcurrentAsync(6, ("x-echo-sleep-ms", "1000"));
        Assert.True(limited.Answered == 2 && limited.Errors.GetValueOrDefault("UNAVAILABLE") == 4, $"awaited 2 of 6 concurrent calls through and 4 refused (max_requests 2); got {limited}");

        manifests.Write("echo-destinationrule.yaml", DestinationRule("connectionPool: {http: {http2MaxRequests: 100}}"));
        await Eventually.UntilAsync("all 6 concurrent calls to pass once the limit is 100", TimeSpan.FromSeconds(30),
            () => client.ConcurrentAsync(6, ("x-echo-sleep-ms", "200")), c => c.Answered == 6);
    }

    /// <summary>
    /// A42 with grpc-js (which reads <c>load_balancing_policy</c>): a consistent hash on header
    /// <c>x-user</c> sends every call of one key to one backend and spreads many keys over both.
    /// The same cluster reaches C-core 1.51 too, which reads only <c>lb_policy</c> (round robin): it
    /// must not crash (its RING_HASH does, grpc/grpc#31766) and keeps answering.
    /// </summary>
    [Fact(Timeout = 300_000)]
    public async Task ConsistentHashByHeader_GrpcJsSendsOneKeyToOneBackend_CCoreStaysUpOnRoundRobin()
    {
        await using var processes = new TestProcesses(log);
        using var manifests = new TempManifestDir();
        var backends = processes.Add(await BackendProcess.StartAsync(V1, V2));
        manifests.Write("echo-serviceentry.yaml", EchoMesh.ServiceEntry((backends.Port(V1), "v1"), (backends.Port(V2), "v2")));
        manifests.Write("echo-destinationrule.yaml", DestinationRule("loadBalancer: {consistentHash: {httpHeaderName: x-user}}"));
        var silo = processes.Add(await SiloProcess.StartAsync(manifests.Path));
        var js = processes.Add(await XdsClientProcess.StartAsync(silo.XdsPort, EchoMesh.Target, nodeId: "sidecar~127.0.0.2~js-1.default~default.svc.cluster.local", client: GrpcClient.GrpcJs));
        var core = processes.Add(await XdsClientProcess.StartAsync(silo.XdsPort, EchoMesh.Target));
        await Eventually.UntilAsync("grpc-js's first 20 RPCs to succeed", FirstAnswers, () => js.CountAsync(20, Batch, ("x-user", "warmup")), c => c.Answered == 20 && c.Failed == 0);
        await Eventually.UntilAsync("C-core's first 20 RPCs to succeed", FirstAnswers, () => core.CountAsync(20, Batch, ("x-user", "warmup")), c => c.Answered == 20 && c.Failed == 0);

        foreach (var user in new[] { "alice", "bob", "carol" })
        {
            var one = await js.CountAsync(50, Batch, ("x-user", user));
            Assert.True(one.Answered == 50 && one.Counts.Count == 1, $"grpc-js: every call with x-user {user} must reach one backend; got {one}");
        }
        var seen = new HashSet<string>();
        for (var i = 0; i < 40 && seen.Count < 2; i++)
        {
            var answer = await js.CountAsync(1, Batch, ("x-user", string.Create(CultureInfo.InvariantCulture, $"user-{i}")));
            seen.UnionWith(answer.Counts.Keys);
        }
        Assert.True(seen.SetEquals([V1, V2]), $"grpc-js: 40 keys must spread over both backends; saw {string.Join(", ", seen)}");

        var roundRobin = await core.CountAsync(100, Batch, ("x-user", "alice"));
        Assert.True(roundRobin.Of(V1) == 50 && roundRobin.Of(V2) == 50, $"C-core 1.51 balances round robin (ring hash left out for it); got {roundRobin}");
        Assert.False(core.HasExited, "C-core must not have crashed");
        foreach (var node in new[] { XdsClientProcess.DefaultNodeId, "sidecar~127.0.0.2~js-1.default~default.svc.cluster.local" })
        {
            await AssertNoNackAsync(silo, node);
        }
    }

    /// <summary>
    /// A50 with grpc-js: Istio's <c>outlierDetection</c> (3 consecutive errors, 1 s interval) ejects
    /// a backend that fails every call, as failure-percentage ejection (what gRPC applies). Without
    /// the rule, half the calls keep failing; with it, every call ends up on the healthy backend.
    /// C-core 1.51 in the same namespace takes the same cluster without a NACK.
    /// </summary>
    [Fact(Timeout = 300_000)]
    public async Task OutlierDetection_EjectsAFailingBackend_GrpcJs()
    {
        await using var processes = new TestProcesses(log);
        using var manifests = new TempManifestDir();
        var backends = processes.Add(await BackendProcess.StartAsync(V1, V2));
        manifests.Write("echo-serviceentry.yaml", EchoMesh.ServiceEntry((backends.Port(V1), "v1"), (backends.Port(V2), "v2")));
        // No retries: a failed call must show, not be retried on the other backend.
        manifests.Write("echo-virtualservice.yaml", $$"""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: echo, namespace: {{EchoMesh.Namespace}}}
            spec:
              hosts: [{{EchoMesh.Host}}]
              http:
              - retries: {attempts: 0}
                route:
                - destination: {host: {{EchoMesh.Host}}}
            """);
        manifests.Write("echo-destinationrule.yaml", DestinationRule("connectionPool: {http: {http2MaxRequests: 1000}}"));
        var silo = processes.Add(await SiloProcess.StartAsync(manifests.Path));
        var js = processes.Add(await XdsClientProcess.StartAsync(silo.XdsPort, EchoMesh.Target, nodeId: JsNode, client: GrpcClient.GrpcJs));
        var core = processes.Add(await XdsClientProcess.StartAsync(silo.XdsPort, EchoMesh.Target));
        await Eventually.UntilAsync("grpc-js's first 20 RPCs to succeed", FirstAnswers, () => js.CountAsync(20, Batch), c => c.Answered == 20 && c.Failed == 0);
        await Eventually.UntilAsync("C-core's first 20 RPCs to succeed", FirstAnswers, () => core.CountAsync(20, Batch), c => c.Answered == 20 && c.Failed == 0);
        var failing = ("x-echo-fail-on", V2);

        for (var round = 0; round < 3; round++)
        {
            var unprotected = await js.CountAsync(40, Batch, failing);
            Assert.True(unprotected.Errors.GetValueOrDefault("UNAVAILABLE") >= 10 && unprotected.Of(V1) >= 10,
                $"round {round}: without outlier detection, round robin keeps sending about half the calls to the failing backend; got {unprotected}");
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        manifests.Write("echo-destinationrule.yaml", DestinationRule("outlierDetection: {consecutive5xxErrors: 3, interval: 1s, baseEjectionTime: 60s, maxEjectionPercent: 100}"));
        var ejected = await Eventually.UntilAsync("the failing backend to be ejected (40 calls, all on the healthy one)", TimeSpan.FromSeconds(60),
            async () =>
            {
                var counts = await js.CountAsync(40, Batch, failing);
                await Task.Delay(TimeSpan.FromMilliseconds(500));
                return counts;
            },
            c => c.Of(V1) == 40);
        Assert.Equal(0, ejected.Failed);
        foreach (var node in new[] { XdsClientProcess.DefaultNodeId, JsNode })
        {
            await AssertNoNackAsync(silo, node);
        }
        Assert.False(core.HasExited, "C-core must take the cluster");
    }

    /// <summary>
    /// Locality failover (Istio's default with outlier detection) with real clients in locality
    /// r1/a: without outlier detection calls spread over both localities; with it, every call goes to
    /// the local backend; when the local backend goes away, calls fail over to r1/b. C-core and
    /// grpc-js both follow the priorities Mesh set for their locality.
    /// </summary>
    [Fact(Timeout = 300_000)]
    public async Task LocalityFailover_LocalFirst_ThenTheNextZoneWhenTheLocalEndpointsGoAway()
    {
        await using var processes = new TestProcesses(log);
        using var manifests = new TempManifestDir();
        const string Local = "local-a";
        const string Remote = "remote-b";
        var local = await BackendProcess.StartAsync(Local);
        var remote = processes.Add(await BackendProcess.StartAsync(Remote));
        try
        {
            manifests.Write("echo-serviceentry.yaml", $$"""
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: echo, namespace: {{EchoMesh.Namespace}}}
                spec:
                  hosts: [{{EchoMesh.Host}}]
                  location: MESH_INTERNAL
                  resolution: STATIC
                  ports: [{number: {{EchoMesh.Port}}, name: grpc, protocol: GRPC}]
                  endpoints:
                  - {address: 127.0.0.1, ports: {grpc: {{local.Port(Local)}}}, locality: r1/a}
                  - {address: 127.0.0.1, ports: {grpc: {{remote.Port(Remote)}}}, locality: r1/b}
                """);
            manifests.Write("echo-destinationrule.yaml", DestinationRule("connectionPool: {http: {http2MaxRequests: 1000}}"));
            var silo = processes.Add(await SiloProcess.StartAsync(manifests.Path));
            var clients = new[]
            {
                ("C-core", processes.Add(await XdsClientProcess.StartAsync(silo.XdsPort, EchoMesh.Target, locality: "r1/a"))),
                ("grpc-js", processes.Add(await XdsClientProcess.StartAsync(silo.XdsPort, EchoMesh.Target, nodeId: JsNode, client: GrpcClient.GrpcJs, locality: "r1/a"))),
            };
            foreach (var (name, client) in clients)
            {
                var spread = await Eventually.UntilAsync($"{name}: calls to reach both localities", FirstAnswers, () => client.CountAsync(40, Batch), c => c.Of(Local) > 0 && c.Of(Remote) > 0);
                Assert.Equal(0, spread.Failed);
            }

            manifests.Write("echo-destinationrule.yaml", DestinationRule("outlierDetection: {consecutive5xxErrors: 5}"));
            foreach (var (name, client) in clients)
            {
                await Eventually.UntilAsync($"{name}: every call to the local backend (priority 0 for r1/a)", TimeSpan.FromSeconds(30), () => client.CountAsync(40, Batch), c => c.Of(Local) == 40);
            }
            var syncz = await silo.GetJsonAsync("/debug/syncz");
            Assert.All(syncz.EnumerateArray(), p => Assert.Equal("r1/a", p.GetProperty("locality").GetString()));
            var (_, metrics) = await silo.GetAsync("/metrics");
            Assert.Contains("xds_adapted_resources_total{reason=\"locality\"}", metrics, StringComparison.Ordinal);

            await local.DisposeAsync();
            foreach (var (name, client) in clients)
            {
                await Eventually.UntilAsync($"{name}: calls to fail over to r1/b once the local backend is gone", TimeSpan.FromSeconds(60), () => client.CountAsync(40, Batch), c => c.Of(Remote) == 40);
            }
            foreach (var node in new[] { XdsClientProcess.DefaultNodeId, JsNode })
            {
                await AssertNoNackAsync(silo, node);
            }
        }
        finally
        {
            await local.DisposeAsync();
        }
    }

    /// <summary>
    /// A29: a DestinationRule's TLS (certificates over SDS) would be a NACK for gRPC, which takes
    /// certificates from its own providers: the gateway leaves the transport socket out for gRPC
    /// clients, so C-core and grpc-js keep answering (plaintext backends) and NACK nothing; the rule
    /// is reported for them.
    /// </summary>
    [Fact(Timeout = 300_000)]
    public async Task DestinationRuleTls_IsLeftOutForGrpcClients_NoNack()
    {
        await using var processes = new TestProcesses(log);
        using var manifests = new TempManifestDir();
        var backends = processes.Add(await BackendProcess.StartAsync(V1, V2));
        manifests.Write("echo-serviceentry.yaml", EchoMesh.ServiceEntry((backends.Port(V1), "v1"), (backends.Port(V2), "v2")));
        manifests.Write("echo-destinationrule.yaml", DestinationRule("tls: {mode: ISTIO_MUTUAL}"));
        var silo = processes.Add(await SiloProcess.StartAsync(manifests.Path));
        var js = processes.Add(await XdsClientProcess.StartAsync(silo.XdsPort, EchoMesh.Target, nodeId: JsNode, client: GrpcClient.GrpcJs));
        var core = processes.Add(await XdsClientProcess.StartAsync(silo.XdsPort, EchoMesh.Target));
        foreach (var (name, client) in new[] { ("grpc-js", js), ("C-core", core) })
        {
            await Eventually.UntilAsync($"{name}: 20 RPCs under an ISTIO_MUTUAL rule", FirstAnswers, () => client.CountAsync(20, Batch), c => c.Answered == 20);
        }

        manifests.Write("echo-destinationrule.yaml", DestinationRule("tls: {mode: SIMPLE, sni: echo.example.com}, outlierDetection: {consecutive5xxErrors: 5}"));
        await Task.Delay(TimeSpan.FromSeconds(2)); // the change reaches both clients
        foreach (var (name, client) in new[] { ("grpc-js", js), ("C-core", core) })
        {
            var answered = await client.CountAsync(20, Batch);
            Assert.True(answered.Answered == 20, $"{name}: calls under a SIMPLE rule; got {answered}");
        }
        foreach (var node in new[] { XdsClientProcess.DefaultNodeId, JsNode })
        {
            await AssertNoNackAsync(silo, node);
        }
        var ingest = await silo.GetJsonAsync("/debug/ingestz");
        Assert.Contains(ingest.GetProperty("warnings").EnumerateArray(), w => w.GetProperty("field").GetString() == "spec.trafficPolicy.tls");
    }

    /// <summary>
    /// A ServiceEntry with <c>resolution: DNS</c> (STRICT_DNS for Envoy, which gRPC rejects) reaches
    /// C-core and grpc-js as LOGICAL_DNS of its first name (A37): both resolve <c>localhost</c>
    /// themselves and reach that endpoint's backend, with no NACK.
    /// </summary>
    [Fact(Timeout = 300_000)]
    public async Task DnsServiceEntry_ReachesGrpcClientsAsLogicalDns_TheyResolveTheName()
    {
        await using var processes = new TestProcesses(log);
        using var manifests = new TempManifestDir();
        var backends = processes.Add(await BackendProcess.StartAsync(V1, V2));
        manifests.Write("echo-serviceentry.yaml", $$"""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: echo, namespace: {{EchoMesh.Namespace}}}
            spec:
              hosts: [{{EchoMesh.Host}}]
              location: MESH_EXTERNAL
              resolution: DNS
              ports: [{number: {{EchoMesh.Port}}, name: grpc, protocol: GRPC}]
              endpoints:
              - address: localhost
                ports: {grpc: {{backends.Port(V1)}} }
              - address: localhost
                ports: {grpc: {{backends.Port(V2)}} }
            """);
        var silo = processes.Add(await SiloProcess.StartAsync(manifests.Path));
        var js = processes.Add(await XdsClientProcess.StartAsync(silo.XdsPort, EchoMesh.Target, nodeId: JsNode, client: GrpcClient.GrpcJs));
        var core = processes.Add(await XdsClientProcess.StartAsync(silo.XdsPort, EchoMesh.Target));
        foreach (var (name, client) in new[] { ("grpc-js", js), ("C-core", core) })
        {
            var first = await Eventually.UntilAsync($"{name}: 20 RPCs through the DNS cluster", FirstAnswers, () => client.CountAsync(20, Batch), c => c.Answered == 20);
            Assert.True(first.Counts.Count == 1, $"{name}: one name resolved, one backend (the first endpoint); got {first}");
        }
        foreach (var node in new[] { XdsClientProcess.DefaultNodeId, JsNode })
        {
            await AssertNoNackAsync(silo, node);
        }
        var ingest = await silo.GetJsonAsync("/debug/ingestz");
        Assert.Contains(ingest.GetProperty("warnings").EnumerateArray(), w => w.GetProperty("field").GetString() == "spec.endpoints");
    }

    private const string JsNode = "sidecar~127.0.0.2~js-1.default~default.svc.cluster.local";

    private static string DestinationRule(string trafficPolicy) => $$"""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: echo
          namespace: {{EchoMesh.Namespace}}
        spec:
          host: {{EchoMesh.Host}}
          trafficPolicy: {{{trafficPolicy}}}
        """;

    /// <summary>P-09: the real client accepted every version it was sent.</summary>
    private static async Task AssertNoNackAsync(SiloProcess silo, string node = XdsClientProcess.DefaultNodeId)
    {
        var syncz = await silo.GetJsonAsync("/debug/syncz");
        var proxy = syncz.EnumerateArray().First(p => p.GetProperty("proxy").GetString() == node);
        foreach (var type in proxy.GetProperty("types").EnumerateObject())
        {
            Assert.False(
                (type.Value.TryGetProperty("nacked", out var nacked) && nacked.ValueKind == JsonValueKind.String && nacked.GetString()!.Length > 0)
                || (type.Value.TryGetProperty("lastError", out var error) && error.ValueKind == JsonValueKind.String && error.GetString()!.Length > 0),
                $"the gRPC client NACKed {type.Name}: {type.Value}");
        }
    }
}
