using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.EndToEnd.Tests.Harness;
using Mesh.Testing.Kubernetes;
using Xunit.Abstractions;

namespace Mesh.EndToEnd.Tests;

/// <summary>
/// The silo serving a Kubernetes API (the in-process fake API server, over the real list/watch
/// protocol) to real gRPC xDS clients: a Service with an EndpointSlice joined to its Pod is
/// answered; moving the endpoint moves the traffic; a Pod status heartbeat applies nothing; a Service
/// created while running is answered; deleting a Service takes it away. Every change goes through KubernetesClient's watch and the
/// per-namespace debounce; embedded, the silo writes its own grains without a Lease.
/// </summary>
[Trait("Category", "Functional")]
public sealed class KubernetesSourceTests(ITestOutputHelper log)
{
    private const string Ns = "e2e";
    private const string Target = "xds:///echo.e2e.svc.cluster.local:7070";
    private static readonly TimeSpan FirstAnswers = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan LiveChange = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Batch = TimeSpan.FromSeconds(10);

    [Fact(Timeout = 300_000)]
    public async Task RealGrpcXdsClient_FollowsServiceAndEndpointSliceChangesFromTheKubernetesApi()
    {
        await using var processes = new TestProcesses(log);
        await using var api = await FakeKubeApiServer.StartAsync();
        using var manifests = new TempManifestDir();
        var backends = processes.Add(await BackendProcess.StartAsync("a", "b"));
        api.Create(Parse($$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{Ns}}}"}}"""));
        api.Create(Parse($$$"""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"echo","namespace":"{{{Ns}}}"},
             "spec":{"clusterIP":"10.96.0.10","selector":{"app":"echo"},"ports":[{"name":"grpc","port":7070,"targetPort":"grpc","protocol":"TCP"}]}}
            """));
        api.Create(Pod("echo-1", heartbeat: "2026-11-23T09:00:00Z"));
        api.Create(Slice(backends.Port("a")));

        var silo = processes.Add(await SiloProcess.StartAsync(manifests.Path, extraArguments: ["--kube-api", api.Url.ToString()]));
        var client = processes.Add(await XdsClientProcess.StartAsync(silo.XdsPort, Target));
        await Eventually.UntilAsync("the first 20 RPCs to reach backend a (Service + EndpointSlice + Pod from the API)", FirstAnswers,
            () => client.CountAsync(20, Batch), c => c.Of("a") == 20 && c.Failed == 0);

        // The endpoint moves to backend b: one EndpointSlice update through the watch.
        var slice = api.Get("EndpointSlice", Ns, "echo-abc")!;
        slice["ports"]![0]!["port"] = backends.Port("b");
        api.Update(slice);
        await Eventually.UntilAsync("traffic to move to backend b after the EndpointSlice changed", LiveChange,
            () => client.CountAsync(50, Batch), c => c.Of("b") == 50 && c.Failed == 0);

        // A Pod status heartbeat: the informer sees the event, nothing is applied or pushed.
        var before = await IngestAsync(silo);
        var podEvents = PodEvents(before);
        var pod = api.Get("Pod", Ns, "echo-1")!;
        pod["status"]!["conditions"]![0]!["lastProbeTime"] = "2026-11-23T10:00:00Z";
        api.Update(pod);
        await Eventually.UntilAsync("the Pod heartbeat to reach the informer", LiveChange,
            () => IngestAsync(silo), s => PodEvents(s) > podEvents);
        await Task.Delay(TimeSpan.FromSeconds(1)); // 10× the debounce: an apply would have happened by now
        var after = await IngestAsync(silo);
        Assert.Equal(before.GetProperty("applies").GetInt64(), after.GetProperty("applies").GetInt64());

        // A Service created while the mesh runs (with its Pod and EndpointSlice) reaches a new client.
        api.Create(Parse($$$"""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"echo2","namespace":"{{{Ns}}}"},
             "spec":{"clusterIP":"10.96.0.11","selector":{"app":"echo2"},"ports":[{"name":"grpc","port":7070,"targetPort":"grpc","protocol":"TCP"}]}}
            """));
        api.Create(Parse($$$"""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"echo2-1","namespace":"{{{Ns}}}","labels":{"app":"echo2"}},
             "spec":{"serviceAccountName":"echo2","nodeName":"node-1","containers":[{"name":"echo","image":"echo"}]},
             "status":{"phase":"Running","podIP":"127.0.0.1"}}
            """));
        var slice2 = Slice(backends.Port("a"));
        slice2["metadata"]!["name"] = "echo2-xyz";
        slice2["metadata"]!["labels"]!["kubernetes.io/service-name"] = "echo2";
        slice2["endpoints"]![0]!["targetRef"]!["name"] = "echo2-1";
        api.Create(slice2);
        var client2 = processes.Add(await XdsClientProcess.StartAsync(silo.XdsPort, "xds:///echo2.e2e.svc.cluster.local:7070"));
        await Eventually.UntilAsync("RPCs to the Service created while running to reach backend a", LiveChange,
            () => client2.CountAsync(20, Batch), c => c.Of("a") == 20 && c.Failed == 0);

        // Deleting the Service takes the listener and cluster away from the client.
        api.Delete("Service", Ns, "echo");
        await Eventually.UntilAsync("RPCs to fail once the Service is deleted", LiveChange,
            () => client.CountAsync(10, Batch), c => c.Answered == 0 && c.Failed == 10);

        var kinds = after.GetProperty("kubernetes").GetProperty("kinds").EnumerateArray().ToDictionary(k => k.GetProperty("kind").GetString()!);
        Assert.True(after.GetProperty("kubernetes").GetProperty("synced").GetBoolean());
        Assert.Equal(1, kinds["Service"].GetProperty("objects").GetInt32());
        Assert.False(kinds["VirtualService"].GetProperty("served").GetBoolean() && kinds["VirtualService"].GetProperty("objects").GetInt32() > 0);
        // Embedded, the silo writes its own grains without electing anyone: no Lease, no leader block.
        Assert.False(after.TryGetProperty("leader", out _), "the embedded silo must not run leader election");
        Assert.Null(api.Get("Lease", "mesh-system", "mesh-ingest"));
        Assert.False(client.HasExited, "the xDS client process must have lived through every change");
    }

    private static async Task<JsonElement> IngestAsync(SiloProcess silo) => await silo.GetJsonAsync("/debug/ingestz");

    private static long PodEvents(JsonElement ingestz) =>
        ingestz.GetProperty("kubernetes").GetProperty("kinds").EnumerateArray().Single(k => k.GetProperty("kind").GetString() == "Pod").GetProperty("events").GetInt64();

    private static JsonObject Pod(string name, string heartbeat) => Parse($$$"""
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"{{{name}}}","namespace":"{{{Ns}}}","labels":{"app":"echo","version":"v1"}},
         "spec":{"serviceAccountName":"echo","nodeName":"node-1","containers":[{"name":"echo","image":"echo"}]},
         "status":{"phase":"Running","podIP":"127.0.0.1","conditions":[{"type":"Ready","status":"True","lastProbeTime":"{{{heartbeat}}}"}]}}
        """);

    private static JsonObject Slice(int port) => Parse(string.Create(CultureInfo.InvariantCulture, $$$"""
        {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"echo-abc","namespace":"{{{Ns}}}","labels":{"kubernetes.io/service-name":"echo"}},
         "addressType":"IPv4","ports":[{"name":"grpc","port":{{{port}}},"protocol":"TCP"}],
         "endpoints":[{"addresses":["127.0.0.1"],"conditions":{"ready":true,"serving":true,"terminating":false},"targetRef":{"kind":"Pod","namespace":"{{{Ns}}}","name":"echo-1"},"nodeName":"node-1","zone":"zone-a"}]}
        """));

    private static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();
}
