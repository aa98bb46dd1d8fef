using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grpc.Core;
using Mesh.EndToEnd.Tests.Harness;
using Mesh.Model.Translation;
using Mesh.Testing;
using Mesh.Testing.Kubernetes;
using Xunit.Abstractions;
using Eventually = Mesh.EndToEnd.Tests.Harness.Eventually;

namespace Mesh.EndToEnd.Tests;

/// <summary>
/// X-25 (never serve from an unsynced cache) end to end: while the API server holds the Pod list,
/// every other kind is listed but the silo writes nothing and is not ready. <c>/readyz</c> answers
/// 503, <c>/debug/ingestz</c> says not synced, SotW and delta ADS streams are refused with
/// <c>UNAVAILABLE</c> before any LDS/CDS is sent (an empty or partial SotW answer would delete the
/// client's config, X-27), and a real gRPC xDS client's RPCs all fail. Once the list is released the
/// same client reaches the backend and the silo turns ready.
/// </summary>
[Trait("Category", "Functional")]
public sealed class KubernetesSyncGateTests(ITestOutputHelper log)
{
    private const string Ns = "e2e";
    private const string Host = "echo.e2e.svc.cluster.local:7070";
    private const string Target = "xds:///" + Host;
    private const string ProbeNodeId = "sidecar~127.0.0.1~ads-probe.default~default.svc.cluster.local";
    private static readonly TimeSpan SiloUp = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan FirstAnswers = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan Batch = TimeSpan.FromSeconds(10);

    // 20× the namespace debounce (100 ms): had the silo applied or turned ready without the Pods, it would have by now.
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(2);

    [Fact(Timeout = 300_000)]
    public async Task SiloWithAHeldPodList_IsNotReadyAndRefusesXds_UntilTheListIsReleased()
    {
        await using var processes = new TestProcesses(log);
        await using var api = await FakeKubeApiServer.StartAsync();
        using var manifests = new TempManifestDir();
        var backends = processes.Add(await BackendProcess.StartAsync("a"));
        api.Create(Parse($$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{Ns}}}"}}"""));
        api.Create(Parse($$$"""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"echo","namespace":"{{{Ns}}}"},
             "spec":{"clusterIP":"10.96.0.10","selector":{"app":"echo"},"ports":[{"name":"grpc","port":7070,"targetPort":"grpc","protocol":"TCP"}]}}
            """));
        api.Create(Pod());
        api.Create(Slice(backends.Port("a")));
        using var podList = api.Hold("/api/v1/pods", KubeApiVerb.List);

        var silo = processes.Add(await SiloProcess.StartAsync(manifests.Path, extraArguments: ["--kube-api", api.Url.ToString()], untilReady: false));

        // Positive signals first: the Pod list is in and held, and every other kind is listed.
        await api.WaitUntilAsync(() => podList.Waiting == 1, () => $"the silo's Pod list to arrive and be held: held {podList.Held}, waiting {podList.Waiting}", SiloUp);
        var listed = await Eventually.UntilAsync("every kind but Pod to be listed (/debug/ingestz kubernetes.kinds[].synced)", SiloUp,
            () => silo.GetJsonAsync("/debug/ingestz"),
            s => Kinds(s).All(k => k.Key == "Pod" ? !Synced(k.Value) : Synced(k.Value)),
            s => s.GetProperty("kubernetes").ToString());
        Assert.Equal(0, Kinds(listed)["Pod"].GetProperty("lists").GetInt64());
        Assert.Equal(1, Kinds(listed)["Service"].GetProperty("objects").GetInt32());
        Assert.Equal(1, Kinds(listed)["EndpointSlice"].GetProperty("objects").GetInt32());
        await Task.Delay(Settle);

        var (status, body) = await silo.GetAsync("/readyz");
        Assert.True(status == HttpStatusCode.ServiceUnavailable, $"/readyz with the Pod list held: expected 503, got {(int)status} {body}");
        var held = await silo.GetJsonAsync("/debug/ingestz");
        Assert.False(held.GetProperty("kubernetes").GetProperty("synced").GetBoolean(), $"kubernetes.synced with the Pod list held: {held}");
        Assert.False(held.GetProperty("synced").GetBoolean(), $"nothing may be applied with the Pod list held: {held}");
        Assert.Equal(0, held.GetProperty("applies").GetInt64());

        // The gateway refuses streams outright (Istio's ads.go does the same): the client gets no LDS/CDS, not even an empty one.
        await using (var ads = new AdsTestClient(XdsAddress(silo), TestNodes.WithId(ProbeNodeId, "default")))
        {
            await ads.RequestAsync(TypeUrls.Cluster);
            var sotw = await ads.ExpectErrorAsync(StatusCode.Unavailable, TimeSpan.FromSeconds(10));
            await ads.SubscribeAsync(TypeUrls.Listener, Host);
            await ads.ExpectDeltaErrorAsync(StatusCode.Unavailable, TimeSpan.FromSeconds(10));
            Assert.Contains("initial configuration", sotw.Status.Detail, StringComparison.Ordinal);
        }

        var client = processes.Add(await XdsClientProcess.StartAsync(silo.XdsPort, Target));
        var refused = await client.CountAsync(5, Batch);
        Assert.True(refused.Answered == 0 && refused.Failed > 0, $"RPCs with the Pod list held: expected every one to fail, got {refused}");
        Assert.Equal(1, podList.Waiting);
        Assert.False(silo.HasExited, "the silo must wait for the list, not give up");

        podList.Release();

        await Eventually.UntilAsync("the same client's RPCs to reach backend a once the Pod list is released", FirstAnswers,
            () => client.CountAsync(20, Batch), c => c.Of("a") == 20 && c.Failed == 0);
        (status, body) = await silo.GetAsync("/readyz");
        Assert.True(status == HttpStatusCode.OK, $"/readyz after the release and first answers: expected 200, got {(int)status} {body}");
        var synced = await silo.GetJsonAsync("/debug/ingestz");
        Assert.True(synced.GetProperty("kubernetes").GetProperty("synced").GetBoolean(), $"kubernetes.synced after the release: {synced}");
        Assert.Equal(1, Kinds(synced)["Pod"].GetProperty("objects").GetInt32());

        // A new raw stream is now answered: the refusal above was the gate, nothing else.
        await using (var ads = new AdsTestClient(XdsAddress(silo), TestNodes.WithId(ProbeNodeId, "default")))
        {
            await ads.RequestAsync(TypeUrls.Listener, [Host]);
            var listener = await ads.ExpectResponseAsync(TypeUrls.Listener, TimeSpan.FromSeconds(10));
            Assert.Single(listener.Resources);
        }

        Assert.False(client.HasExited, "the xDS client process must have lived through the gate");
    }

    private static Uri XdsAddress(SiloProcess silo) => new(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{silo.XdsPort}"));

    private static Dictionary<string, JsonElement> Kinds(JsonElement ingestz) =>
        ingestz.GetProperty("kubernetes").GetProperty("kinds").EnumerateArray().ToDictionary(k => k.GetProperty("kind").GetString()!);

    private static bool Synced(JsonElement kind) => kind.GetProperty("synced").GetBoolean();

    private static JsonObject Pod() => Parse($$$"""
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"echo-1","namespace":"{{{Ns}}}","labels":{"app":"echo","version":"v1"}},
         "spec":{"serviceAccountName":"echo","nodeName":"node-1","containers":[{"name":"echo","image":"echo"}]},
         "status":{"phase":"Running","podIP":"127.0.0.1","conditions":[{"type":"Ready","status":"True"}]}}
        """);

    private static JsonObject Slice(int port) => Parse(string.Create(CultureInfo.InvariantCulture, $$$"""
        {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"echo-abc","namespace":"{{{Ns}}}","labels":{"kubernetes.io/service-name":"echo"}},
         "addressType":"IPv4","ports":[{"name":"grpc","port":{{{port}}},"protocol":"TCP"}],
         "endpoints":[{"addresses":["127.0.0.1"],"conditions":{"ready":true,"serving":true,"terminating":false},"targetRef":{"kind":"Pod","namespace":"{{{Ns}}}","name":"echo-1"},"nodeName":"node-1","zone":"zone-a"}]}
        """));

    private static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();
}
