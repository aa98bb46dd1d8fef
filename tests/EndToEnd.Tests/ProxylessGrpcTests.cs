using System.Text.Json;
using Mesh.EndToEnd.Tests.Harness;
using Xunit.Abstractions;

namespace Mesh.EndToEnd.Tests;

/// <summary>
/// A real gRPC xDS client (grpcio's C-core, <c>xds:///</c> resolver) against the silo process:
/// traffic splits and routes on request headers as the VirtualService says, and follows file
/// changes over one live channel.
/// </summary>
[Trait("Category", "Functional")]
public sealed class ProxylessGrpcTests(ITestOutputHelper log)
{
    private const string V1A = "v1-a";
    private const string V2B = "v2-b";
    private const string V2C = "v2-c";
    private static readonly TimeSpan FirstAnswers = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan LiveChange = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Batch = TimeSpan.FromSeconds(10);

    [Fact(Timeout = 300_000)]
    public async Task RealGrpcXdsClient_SeesWeightedSplit_AndFollowsLiveChanges()
    {
        await using var processes = new TestProcesses(log);
        using var manifests = new TempManifestDir();
        var backends = processes.Add(await BackendProcess.StartAsync(V1A, V2B, V2C));
        EchoMesh.WriteTo(manifests, backends.Port(V1A), backends.Port(V2B), EchoMesh.VirtualService(v1Weight: 80, v2Weight: 20));
        var silo = processes.Add(await SiloProcess.StartAsync(manifests.Path));
        var client = processes.Add(await XdsClientProcess.StartAsync(silo.XdsPort, EchoMesh.Target));
        var clientPid = client.Id;

        await Eventually.UntilAsync(
            $"the first 20 RPCs to {EchoMesh.Target} to succeed (client resolved LDS, RDS, CDS, EDS and connected)",
            FirstAnswers,
            () => client.CountAsync(20, Batch),
            c => c.Answered == 20 && c.Failed == 0);

        var split = await client.CountAsync(1000, TimeSpan.FromSeconds(60));
        Assert.True(split.Answered == 1000 && split.Failed == 0, $"Expected 1000 answers and no failures; got {split}");
        Assert.True(
            split.Counts.Keys.All(name => name is V1A or V2B),
            $"Expected answers only from {V1A} and {V2B} ({V2C} is not in the mesh yet); got {split}");
        var v1Share = split.Of(V1A) / 1000.0;
        Assert.True(
            Math.Abs(v1Share - 0.80) <= 0.05,
            $"Expected the v1 share of 1,000 RPCs to be 80% ± 5 points (VirtualService 80/20); got {v1Share:P1}: {split}");

        // Live endpoint change: v2 moves from backend B to backend C; the same channel must follow.
        manifests.Write("echo-serviceentry.yaml", EchoMesh.ServiceEntry((backends.Port(V1A), "v1"), (backends.Port(V2C), "v2")));
        await Eventually.UntilAsync(
            $"v2 traffic to move from the removed endpoint {V2B} to the added endpoint {V2C} (EDS update, same channel)",
            LiveChange,
            () => client.CountAsync(200, Batch),
            c => c.Of(V2C) > 0 && c.Of(V2B) == 0 && c.Failed == 0);

        // Live route change: all traffic to v2.
        manifests.Write("echo-virtualservice.yaml", EchoMesh.VirtualService(v1Weight: 0, v2Weight: 100));
        await Eventually.UntilAsync(
            $"all 200 RPCs to go to v2 ({V2C}) after the VirtualService changed to 0/100 (RDS update, same channel)",
            LiveChange,
            () => client.CountAsync(200, Batch),
            c => c.Of(V2C) == 200 && c.Failed == 0);

        Assert.False(client.HasExited, "The xDS client process must have lived through every change.");
        Assert.Equal(clientPid, client.Id);
        await AssertNoNackAsync(silo);
    }

    /// <summary>
    /// Issue 11: gRPC C-core before gRFC A63 (Debian's grpcio 1.51) NACKs a RouteConfiguration whose
    /// header matchers use <c>string_match</c> ("Invalid route header matcher specified"), so the client
    /// never resolves; proxyless routes carry the older <c>exact_match</c>/<c>prefix_match</c>/<c>safe_regex_match</c>.
    /// </summary>
    [Fact(Timeout = 300_000)]
    public async Task HeaderMatchedRoute_SendsMatchingRpcsToV2_AndTheRestToV1()
    {
        await using var processes = new TestProcesses(log);
        using var manifests = new TempManifestDir();
        var backends = processes.Add(await BackendProcess.StartAsync(V1A, V2B));
        EchoMesh.WriteTo(manifests, backends.Port(V1A), backends.Port(V2B), EchoMesh.VirtualServiceByHeaders());
        var silo = processes.Add(await SiloProcess.StartAsync(manifests.Path));
        var client = processes.Add(await XdsClientProcess.StartAsync(silo.XdsPort, EchoMesh.Target));

        await Eventually.UntilAsync(
            $"the first 20 RPCs to {EchoMesh.Target} without headers to succeed (client accepted the header-matching RouteConfiguration)",
            FirstAnswers,
            () => client.CountAsync(20, Batch),
            c => c.Answered == 20 && c.Failed == 0);

        // Exact, prefix and regex each route to v2; near misses (longer, other case, prefix elsewhere,
        // regex not matching the whole value, another header) and no header at all go to v1.
        (string Name, string Value)[][] toV2 =
            [[("x-user", "jason")], [("x-group", "beta-testers")], [("x-tier", "platinum")], [("x-user", "jason"), ("x-tier", "bronze")]];
        (string Name, string Value)[][] toV1 =
            [[], [("x-user", "jason2")], [("x-user", "Jason")], [("x-group", "alpha-beta")], [("x-tier", "gold-plus")], [("x-other", "jason")]];
        foreach (var (headers, expected) in toV2.Select(h => (h, V2B)).Concat(toV1.Select(h => (h, V1A))))
        {
            var counts = await client.CountAsync(50, Batch, headers);
            Assert.True(
                counts.Of(expected) == 50 && counts.Failed == 0,
                $"Expected all 50 RPCs with headers [{string.Join(", ", headers.Select(h => $"{h.Name}: {h.Value}"))}] to answer from {expected}; got {counts}");
        }
        await AssertNoNackAsync(silo);
    }

    /// <summary>
    /// Issue 13: a real gRPC client in a lazy namespace (Namespace labelled slime.io/serviceFenced, so
    /// its own Service is fenced) is never starved by the fence: it resolves and calls what it dials,
    /// and what it dialled is recorded in its fence (source proxyless).
    /// </summary>
    [Fact(Timeout = 300_000)]
    public async Task RealGrpcXdsClient_InALazyNamespace_ResolvesAndCallsWhatItDials_AndItsFenceRecordsIt()
    {
        await using var processes = new TestProcesses(log);
        using var manifests = new TempManifestDir();
        var backends = processes.Add(await BackendProcess.StartAsync(V1A, V2B));
        manifests.Write("echo-serviceentry.yaml", EchoMesh.ServiceEntry((backends.Port(V1A), "v1"), (backends.Port(V2B), "v2")));
        manifests.Write("lazy-default.yaml", """
            apiVersion: v1
            kind: Namespace
            metadata:
              name: default
              labels: {slime.io/serviceFenced: "true"}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: client, namespace: default}
            spec: {clusterIP: 10.96.7.7, selector: {app: client}, ports: [{name: grpc, port: 7070}]}
            """);
        var silo = processes.Add(await SiloProcess.StartAsync(manifests.Path));
        var client = processes.Add(await XdsClientProcess.StartAsync(silo.XdsPort, EchoMesh.Target, labels: new Dictionary<string, string> { ["app"] = "client" }));

        await Eventually.UntilAsync(
            $"20 RPCs to {EchoMesh.Target} to succeed from the fenced namespace",
            FirstAnswers,
            () => client.CountAsync(20, Batch),
            c => c.Answered == 20 && c.Failed == 0);
        var fence = await silo.GetJsonAsync("/debug/fencez?fence=default/client");
        Assert.True(fence.GetProperty("implied").GetBoolean(), $"the namespace label implies the fence: {fence}");
        var learned = fence.GetProperty("learned").EnumerateArray().Select(l => (l.GetProperty("host").GetString(), l.GetProperty("source").GetString())).ToList();
        Assert.Contains(("echo.e2e.svc.cluster.local", "proxyless"), learned);
        await AssertNoNackAsync(silo);
    }

    /// <summary>
    /// The connect gate with real gRPC clients (C-core's own order: LDS, then RDS, CDS and EDS, each
    /// acknowledged when parsed): with one slot and a 30 s hold, every client's stream must settle by
    /// itself and hand the slot on. A client whose stream did not settle would keep the slot for the
    /// whole hold and the next one could not resolve within the budget; the gate must end with no slot
    /// taken and no hold expired.
    /// </summary>
    [Fact(Timeout = 300_000)]
    public async Task RealGrpcClients_ThroughAOneSlotConnectGate_EachSettlesAndHandsTheSlotOn()
    {
        const int Clients = 4;
        await using var processes = new TestProcesses(log);
        using var manifests = new TempManifestDir();
        var backends = processes.Add(await BackendProcess.StartAsync(V1A, V2B));
        EchoMesh.WriteTo(manifests, backends.Port(V1A), backends.Port(V2B), EchoMesh.VirtualService(v1Weight: 50, v2Weight: 50));
        var silo = processes.Add(await SiloProcess.StartAsync(manifests.Path, environment: new Dictionary<string, string>
        {
            ["Xds__MaxConcurrentConnects"] = "1",
            ["Xds__ConnectSlotHold"] = "00:00:30",
        }));

        var clients = new List<XdsClientProcess>();
        foreach (var i in Enumerable.Range(0, Clients))
        {
            clients.Add(processes.Add(await XdsClientProcess.StartAsync(silo.XdsPort, EchoMesh.Target, nodeId: $"sidecar~127.0.0.{i + 10}~grpc-client-{i}.default~default.svc.cluster.local")));
        }
        foreach (var (client, i) in clients.Select((c, i) => (c, i)))
        {
            await Eventually.UntilAsync(
                $"the first 20 RPCs of client {i} of {Clients} to succeed through the one-slot connect gate (each earlier client's stream settled)",
                TimeSpan.FromSeconds(25),
                () => client.CountAsync(20, Batch),
                c => c.Answered == 20 && c.Failed == 0);
        }

        var (_, metrics) = await silo.GetAsync("/metrics");
        Assert.Equal(0, Metric(metrics, "xds_connect_gate_in_use")); // every stream settled: no slot taken
        Assert.Equal(0, Metric(metrics, "xds_connect_gate_overtime_total") ?? 0); // and none by the hold (absent: never counted)
        Assert.True(Metric(metrics, "xds_connects_total") >= Clients, $"Expected {Clients} streams opened; /metrics: {metrics}");
    }

    /// <summary>The value of an unlabelled sample in Prometheus text, or null when the exporter has none.</summary>
    private static double? Metric(string text, string name)
    {
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        return line is null ? null : double.Parse(line[(name.Length + 1)..].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>P-09: the real client accepted every version it was sent (no NACK recorded for it).</summary>
    private static async Task AssertNoNackAsync(SiloProcess silo)
    {
        var syncz = await silo.GetJsonAsync("/debug/syncz");
        var proxy = syncz.EnumerateArray().FirstOrDefault(p => p.TryGetProperty("proxy", out var id) && id.GetString() == XdsClientProcess.DefaultNodeId);
        Assert.True(proxy.ValueKind == JsonValueKind.Object, $"Expected /debug/syncz to list proxy {XdsClientProcess.DefaultNodeId}; got {syncz}");
        var nacks = proxy.GetProperty("types").EnumerateObject()
            .Where(t => HasText(t.Value, "nacked") || HasText(t.Value, "lastError"))
            .Select(t => $"{t.Name}: {t.Value}")
            .ToList();
        Assert.True(nacks.Count == 0, $"Expected no NACK from the gRPC client; /debug/syncz shows: {string.Join("; ", nacks)}");
    }

    private static bool HasText(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String && value.GetString()!.Length > 0;
}
