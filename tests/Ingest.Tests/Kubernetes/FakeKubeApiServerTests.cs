using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Mesh.Testing.Kubernetes;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Ingest.Tests.Kubernetes;

/// <summary>Drives the real KubernetesClient against <see cref="FakeKubeApiServer"/> over its wire protocol.</summary>
public sealed class FakeKubeApiServerTests : IAsyncLifetime, IDisposable
{
    private const string Istio = "networking.istio.io";
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(5));
    private FakeKubeApiServer _server = null!;
    private k8s.Kubernetes _client = null!;

    private CancellationToken Ct => _timeout.Token;

    public async Task InitializeAsync() => await StartAsync(new FakeKubeApiServerOptions());

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose()
    {
        _client.Dispose();
        _timeout.Dispose();
    }

    [Fact]
    public async Task List_AllNamespaces_ReturnsStoredServicesAtCurrentResourceVersion()
    {
        var a = _server.Create(Service("a", "ns1"));
        _server.Create(Service("b", "ns2"));

        var list = await _client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: Ct);

        Assert.Equal(["ns1/a", "ns2/b"], list.Items.Select(s => $"{s.Namespace()}/{s.Name()}"));
        Assert.Equal(_server.ResourceVersion.ToString(), list.ResourceVersion());
        Assert.Equal(a["metadata"]!["uid"]!.GetValue<string>(), list.Items[0].Uid());
        Assert.Equal(80, list.Items[0].Spec.Ports[0].Port);
        Assert.Equal(1, _server.ListRequestCount("Service"));
        Assert.Contains(_server.Requests, r => r.Verb == KubeApiVerb.List && r.Path == "/api/v1/services");
    }

    [Fact]
    public async Task List_WithLimit_PagesFromOneSnapshotUntilCompaction()
    {
        for (var i = 0; i < 5; i++)
        {
            _server.Create(Service($"s{i}", "ns"));
        }

        var first = await _client.CoreV1.ListNamespacedServiceAsync("ns", limit: 2, cancellationToken: Ct);
        _server.Create(Service("s5", "ns"));
        var second = await _client.CoreV1.ListNamespacedServiceAsync("ns", limit: 2, continueParameter: first.Continue(), cancellationToken: Ct);
        var third = await _client.CoreV1.ListNamespacedServiceAsync("ns", limit: 2, continueParameter: second.Continue(), cancellationToken: Ct);

        Assert.Equal(["s0", "s1", "s2", "s3", "s4"], first.Items.Concat(second.Items).Concat(third.Items).Select(s => s.Name()));
        Assert.Equal(3, first.Metadata.RemainingItemCount);
        Assert.Null(third.Continue());
        Assert.All(new[] { second, third }, page => Assert.Equal(first.ResourceVersion(), page.ResourceVersion()));

        _server.Compact();
        var expired = await Assert.ThrowsAsync<HttpOperationException>(() =>
            _client.CoreV1.ListNamespacedServiceAsync("ns", limit: 2, continueParameter: first.Continue(), cancellationToken: Ct));
        AssertStatus(expired, HttpStatusCode.Gone, "Expired");
    }

    [Fact]
    public async Task List_LastPage_CarriesEmptyContinueForCustomResources_AndNoneForBuiltIns()
    {
        _server.Create(Service("a", "ns"));
        _server.Create(Service("b", "ns"));
        _server.Create(VirtualService("a", "v1"));
        _server.Create(VirtualService("b", "v1"));

        var services = await ContinueTokensAsync("api/v1/services");
        var virtualServices = await ContinueTokensAsync($"apis/{Istio}/v1/virtualservices");

        // As kube-apiserver writes them: a built-in list's ListMeta omits an empty continue, an unstructured list keeps it.
        Assert.Equal([true, false], services.Select(c => c is { Length: > 0 }));
        Assert.Null(services[1]);
        Assert.Equal([true, false], virtualServices.Select(c => c is { Length: > 0 }));
        Assert.Equal("", virtualServices[1]);
    }

    [Fact]
    public async Task EmptyContinueOnBuiltInLists_PutsItOnTheBuiltInsLastPage()
    {
        await RestartAsync(new FakeKubeApiServerOptions { EmptyContinueOnBuiltInLists = true });
        _server.Create(Service("a", "ns"));

        var typed = await _client.CoreV1.ListServiceForAllNamespacesAsync(limit: 1, cancellationToken: Ct);

        Assert.Equal([""], await ContinueTokensAsync("api/v1/services"));
        Assert.Equal("", typed.Continue());
    }

    [Theory]
    [InlineData(KubePagingFault.EndlessTokens, 3)]
    [InlineData(KubePagingFault.RepeatedToken, 1)]
    public async Task BreakPaging_EveryListGetsTheFirstPage_WithATokenThatNeverEndsIt(KubePagingFault fault, int distinctTokens)
    {
        _server.Create(Service("a", "ns"));
        _server.Create(Service("b", "ns"));
        _server.BreakPaging("Service", fault);

        var pages = new List<V1ServiceList> { await _client.CoreV1.ListServiceForAllNamespacesAsync(limit: 1, cancellationToken: Ct) };
        for (var i = 0; i < 2; i++)
        {
            pages.Add(await _client.CoreV1.ListServiceForAllNamespacesAsync(limit: 1, continueParameter: pages[^1].Continue(), cancellationToken: Ct));
        }

        Assert.All(pages, p => Assert.Equal("a", Assert.Single(p.Items).Name()));
        Assert.All(pages, p => Assert.False(string.IsNullOrEmpty(p.Continue())));
        Assert.Equal(distinctTokens, pages.Select(p => p.Continue()).Distinct().Count());
        _server.BreakPaging("Service", KubePagingFault.None);
        var healed = await _client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: Ct);
        Assert.Null(healed.Continue());
    }

    [Fact]
    public async Task List_LabelSelector_AppliesEqualitySetAndExistenceRequirements()
    {
        _server.Create(Service("web", "ns", """{"app":"web","tier":"front"}"""));
        _server.Create(Service("api", "ns", """{"app":"api","tier":"back"}"""));
        _server.Create(Service("db", "ns", """{"app":"db","tier":"data"}"""));
        _server.Create(Service("legacy", "ns", """{"app":"web","legacy":"true"}"""));

        async Task<IEnumerable<string>> Select(string selector) =>
            (await _client.CoreV1.ListNamespacedServiceAsync("ns", labelSelector: selector, cancellationToken: Ct)).Items.Select(s => s.Name());

        Assert.Equal(["legacy", "web"], await Select("app=web"));
        Assert.Equal(["api", "web"], await Select("app in (web,api),!legacy"));
        Assert.Equal(["db", "legacy"], await Select("tier notin (front,back)"));
        Assert.Equal(["api", "db", "legacy"], await Select("tier!=front"));
        Assert.Equal(["legacy"], await Select("legacy"));
        var bad = await Assert.ThrowsAsync<HttpOperationException>(() => Select("app in web"));
        AssertStatus(bad, HttpStatusCode.BadRequest, "BadRequest");
    }

    [Fact]
    public async Task Watch_FromListResourceVersion_StreamsAddedModifiedDeletedAndBookmark()
    {
        _server.Create(Service("before", "ns"));
        var list = await _client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: Ct);
        await using var watch = WatchServices(list.ResourceVersion());
        await _server.WaitForOpenWatchesAsync("Service", 1);

        var created = _server.Create(Service("web", "ns"));
        var updated = _server.Update(Service("web", "ns", """{"v":"2"}"""));
        var deleted = _server.Delete("Service", "ns", "web");
        _server.SendBookmarks();

        var events = await watch.TakeAsync(4, Ct);
        Assert.Equal([WatchEventType.Added, WatchEventType.Modified, WatchEventType.Deleted, WatchEventType.Bookmark], events.Select(e => e.Type));
        // The deletion is a write of its own: DELETED carries a new resource version, the latest one.
        var latest = _server.ResourceVersion.ToString();
        Assert.Equal([Rv(created), Rv(updated), latest, latest], events.Select(e => e.Object.ResourceVersion()));
        Assert.True(long.Parse(Rv(updated)) > long.Parse(Rv(created)) && long.Parse(latest) > long.Parse(Rv(updated)));
        Assert.Equal(latest, Rv(deleted));
        Assert.Equal("2", events[2].Object.Labels()["v"]);
        Assert.Equal(("Service", "v1"), (events[0].Object.Kind, events[0].Object.ApiVersion));
        Assert.Null(events[3].Object.Name());
        Assert.Equal((1, 1), (_server.ListRequestCount("Service"), _server.WatchRequestCount("Service")));
    }

    [Fact]
    public async Task Watch_WithoutResourceVersion_StartsWithSyntheticAddedForEachObject()
    {
        _server.Create(Service("a", "ns"));
        _server.Create(Service("b", "other"));
        _server.Update(Service("a", "ns", """{"v":"2"}"""));

        await using var watch = WatchServices(resourceVersion: null);
        var events = await watch.TakeAsync(2, Ct);

        Assert.Equal([(WatchEventType.Added, "a/2"), (WatchEventType.Added, "b/")], events.Select(e => (e.Type, $"{e.Object.Name()}/{e.Object.GetLabel("v")}")));
    }

    [Fact]
    public async Task Watch_FromCompactedResourceVersion_GetsErrorEvent410AndEnds()
    {
        var list = await _client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: Ct);
        _server.Create(Service("a", "ns"));
        _server.Compact();

        await using var watch = WatchServices(list.ResourceVersion());

        Assert.Null(await watch.Completion.WaitAsync(Ct));
        var status = Assert.IsType<KubernetesException>(Assert.Single(watch.Errors)).Status;
        Assert.Equal((410, "Expired"), (status.Code, status.Reason));
        Assert.Equal($"too old resource version: {list.ResourceVersion()} ({_server.ResourceVersion})", status.Message);
        Assert.Empty(watch.Received);
    }

    [Fact]
    public async Task DropWatches_AbortsTheConnection_ClientWatchFailsWithIOException()
    {
        await using var watch = WatchServices(_server.ResourceVersion.ToString());
        await _server.WaitForOpenWatchesAsync("Service", 1);
        _server.Create(Service("a", "ns"));
        await watch.TakeAsync(1, Ct);

        _server.DropWatches();

        Assert.IsAssignableFrom<IOException>(await watch.Completion.WaitAsync(Ct));
        Assert.Equal(0, _server.OpenWatchCount("Service"));
    }

    [Fact]
    public async Task InjectWatchError_SurfacesAsKubernetesExceptionAndEndsTheStream()
    {
        await using var watch = WatchServices(_server.ResourceVersion.ToString());
        await _server.WaitForOpenWatchesAsync("Service", 1);

        _server.InjectWatchError(500);

        Assert.Null(await watch.Completion.WaitAsync(Ct));
        Assert.Equal(500, Assert.IsType<KubernetesException>(Assert.Single(watch.Errors)).Status.Code);
    }

    [Fact]
    public async Task Watch_LabelSelector_ObjectRelabelledOutOfSelectionArrivesAsDeleted()
    {
        await using var watch = WatchServices(_server.ResourceVersion.ToString(), labelSelector: "app=web");
        await _server.WaitForOpenWatchesAsync("Service", 1);

        _server.Create(Service("x", "ns", """{"app":"api"}"""));
        _server.Update(Service("x", "ns", """{"app":"web"}"""));
        _server.Update(Service("x", "ns", """{"app":"db"}"""));

        var events = await watch.TakeAsync(2, Ct);
        Assert.Equal([WatchEventType.Added, WatchEventType.Deleted], events.Select(e => e.Type));
    }

    [Fact]
    public async Task Watch_TimeoutSeconds_EndsCleanlyOnTheServersClock()
    {
        var clock = new FakeTimeProvider();
        await RestartAsync(new FakeKubeApiServerOptions { TimeProvider = clock });
        await using var watch = WatchServices(_server.ResourceVersion.ToString(), timeoutSeconds: 60);
        await _server.WaitForOpenWatchesAsync("Service", 1);
        _server.Create(Service("a", "ns"));
        await watch.TakeAsync(1, Ct);

        clock.Advance(TimeSpan.FromSeconds(60));

        Assert.Null(await watch.Completion.WaitAsync(Ct));
        Assert.Empty(watch.Errors);
    }

    [Fact]
    public async Task BookmarkInterval_SendsBookmarksOnlyToBookmarkWatches()
    {
        var clock = new FakeTimeProvider();
        await RestartAsync(new FakeKubeApiServerOptions { TimeProvider = clock, BookmarkInterval = TimeSpan.FromMinutes(1) });
        await using var plain = WatchServices(null, bookmarks: false);
        await using var bookmarked = WatchServices(null);
        await _server.WaitForOpenWatchesAsync("Service", 2);

        clock.Advance(TimeSpan.FromMinutes(1));
        _server.Create(Service("a", "ns"));

        Assert.Equal([WatchEventType.Bookmark, WatchEventType.Added], (await bookmarked.TakeAsync(2, Ct)).Select(e => e.Type));
        Assert.Equal([WatchEventType.Added], (await plain.TakeAsync(1, Ct)).Select(e => e.Type));
    }

    [Fact]
    public async Task CustomObjects_ListAndWatch_AnswerAtTheRequestedVersion()
    {
        _server.Create(VirtualService("reviews", "v1"));

        var list = (JsonElement)await _client.CustomObjects.ListCustomObjectForAllNamespacesAsync(Istio, "v1alpha3", "virtualservices", cancellationToken: Ct);
        var rv = list.GetProperty("metadata").GetProperty("resourceVersion").GetString();
        var item = Assert.Single(list.GetProperty("items").EnumerateArray());
        var errors = new List<Exception>();
        var events = _client.CustomObjects.WatchListCustomObjectForAllNamespacesAsync(
            Istio, "v1", "virtualservices", resourceVersion: rv, onError: errors.Add, cancellationToken: Ct);
        await using var enumerator = events.GetAsyncEnumerator(Ct);
        var next = enumerator.MoveNextAsync().AsTask();
        await _server.WaitForOpenWatchesAsync("VirtualService", 1);
        _server.Update(VirtualService("reviews", "v1beta1", hosts: """["reviews","ratings"]"""));

        Assert.Equal("VirtualServiceList", list.GetProperty("kind").GetString());
        Assert.Equal($"{Istio}/v1alpha3", list.GetProperty("apiVersion").GetString());
        Assert.Equal(($"{Istio}/v1alpha3", "VirtualService"), (item.GetProperty("apiVersion").GetString(), item.GetProperty("kind").GetString()));
        Assert.True(await next.WaitAsync(Ct));
        var (type, obj) = enumerator.Current;
        var modified = (JsonElement)obj;
        Assert.Equal(WatchEventType.Modified, type);
        Assert.Equal($"{Istio}/v1", modified.GetProperty("apiVersion").GetString());
        Assert.Equal(2, modified.GetProperty("spec").GetProperty("hosts").GetArrayLength());
        Assert.Empty(errors);
    }

    [Fact]
    public async Task StopServing_OneVersion_AnswersNotFoundThereAndKeepsServingTheOthers()
    {
        _server.Create(VirtualService("reviews", "v1"));
        _server.StopServing("VirtualService", "v1alpha3");

        var missing = await Assert.ThrowsAsync<HttpOperationException>(() =>
            _client.CustomObjects.ListCustomObjectForAllNamespacesAsync(Istio, "v1alpha3", "virtualservices", cancellationToken: Ct));
        var served = (JsonElement)await _client.CustomObjects.ListCustomObjectForAllNamespacesAsync(Istio, "v1", "virtualservices", cancellationToken: Ct);
        var discovery = await _client.CustomObjects.GetAPIResourcesAsync(Istio, "v1", Ct);

        AssertStatus(missing, HttpStatusCode.NotFound, "NotFound");
        Assert.Equal(1, served.GetProperty("items").GetArrayLength());
        Assert.Contains(discovery.Resources, r => r.Name == "virtualservices" && r.Namespaced);
        _server.ResumeServing("VirtualService");
        await _client.CustomObjects.ListCustomObjectForAllNamespacesAsync(Istio, "v1alpha3", "virtualservices", cancellationToken: Ct);
    }

    [Fact]
    public async Task Lease_ReplaceWithStaleResourceVersion_GetsConflict()
    {
        var lease = await _client.CoordinationV1.CreateNamespacedLeaseAsync(
            new V1Lease { Metadata = new() { Name = "ingest-leader" }, Spec = new() { HolderIdentity = "a", LeaseDurationSeconds = 15 } }, "mesh", cancellationToken: Ct);
        var duplicate = await Assert.ThrowsAsync<HttpOperationException>(() =>
            _client.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease { Metadata = new() { Name = "ingest-leader" } }, "mesh", cancellationToken: Ct));

        lease.Spec.HolderIdentity = "b";
        var renewed = await _client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, "ingest-leader", "mesh", cancellationToken: Ct);
        lease.Spec.HolderIdentity = "c";
        var stale = await Assert.ThrowsAsync<HttpOperationException>(() =>
            _client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, "ingest-leader", "mesh", cancellationToken: Ct));

        AssertStatus(duplicate, HttpStatusCode.Conflict, "AlreadyExists");
        Assert.Equal("b", renewed.Spec.HolderIdentity);
        Assert.NotEqual(lease.ResourceVersion(), renewed.ResourceVersion());
        AssertStatus(stale, HttpStatusCode.Conflict, "Conflict");
        Assert.Equal("b", _server.Get("Lease", "mesh", "ingest-leader")!["spec"]!["holderIdentity"]!.GetValue<string>());
    }

    [Fact]
    public async Task DeleteAndRecreate_SameName_GetsNewUidAndHigherResourceVersion()
    {
        var body = new V1Service { Metadata = new() { Name = "web" }, Spec = new() { Ports = [new() { Port = 80 }] } };
        var first = await _client.CoreV1.CreateNamespacedServiceAsync(body, "ns", cancellationToken: Ct);
        await _client.CoreV1.DeleteNamespacedServiceAsync("web", "ns", cancellationToken: Ct);
        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ReadNamespacedServiceAsync("web", "ns", cancellationToken: Ct));
        var second = await _client.CoreV1.CreateNamespacedServiceAsync(body, "ns", cancellationToken: Ct);

        AssertStatus(missing, HttpStatusCode.NotFound, "NotFound");
        Assert.NotEqual(first.Uid(), second.Uid());
        Assert.True(long.Parse(second.ResourceVersion()) > long.Parse(first.ResourceVersion()) + 1);
        Assert.Equal(1, second.Generation());
    }

    [Fact]
    public async Task FailNext_FailsThatManyListsThenServes()
    {
        _server.FailNext("/api/v1/services", 503, count: 2, KubeApiVerb.List);

        var first = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: Ct));
        await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: Ct));
        var third = await _client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: Ct);

        AssertStatus(first, HttpStatusCode.ServiceUnavailable, "ServiceUnavailable");
        Assert.Empty(third.Items);
        Assert.Equal(3, _server.ListRequestCount("Service"));
    }

    [Fact]
    public async Task Hold_HeldListAnswersOnlyAfterRelease_OtherRequestsAreServedMeanwhile()
    {
        _server.Create(Service("a", "ns1"));
        using var hold = _server.Hold("/api/v1/services", KubeApiVerb.List);

        var held = _client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: Ct);
        await _server.WaitUntilAsync(() => hold.Waiting == 1, () => $"one Service list held: waiting {hold.Waiting}");
        var namespaces = await _client.CoreV1.ListNamespaceAsync(cancellationToken: Ct);
        await using var watch = WatchServices(_server.ResourceVersion.ToString());
        await _server.WaitForOpenWatchesAsync("Service", 1);

        // The list arrived, and a namespace list and a Service watch (same path, other verb) were answered since: it still waits.
        Assert.False(held.IsCompleted, "the held list answered before its hold was released");
        Assert.Empty(namespaces.Items);
        Assert.Equal(1, _server.ListRequestCount("Service"));

        hold.Release();
        var list = await held;

        Assert.Equal(["ns1/a"], list.Items.Select(s => $"{s.Namespace()}/{s.Name()}"));
        Assert.Equal((1, 0), (hold.Held, hold.Waiting));
        var again = await _client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: Ct);
        Assert.Single(again.Items);
        Assert.Equal(1, hold.Held);
    }

    [Fact]
    public async Task PatchStatus_ChangesOnlyTheStatus_MovesTheResourceVersionNotTheGeneration_AsTheRealServer()
    {
        // Checked against kube-apiserver v1.20 (../shared/kube-local) with a CRD declaring the status subresource.
        var created = _server.Create("""
            {"apiVersion":"microservice.slime.io/v1alpha1","kind":"ServiceFence","metadata":{"name":"web","namespace":"shop"},
             "spec":{"enable":true}}
            """);
        const string Add = """[{"op":"add","path":"/status","value":{"domains":{"a":{"hosts":["a"],"status":"ACTIVE"}}}},{"op":"add","path":"/spec/enable","value":false}]""";
        await _client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new V1Patch(Add, V1Patch.PatchType.JsonPatch), "microservice.slime.io", "v1alpha1", "shop", "servicefences", "web", cancellationToken: Ct);
        var patched = _server.Get("ServiceFence", "shop", "web", "microservice.slime.io")!;
        Assert.Equal("ACTIVE", patched["status"]!["domains"]!["a"]!["status"]!.GetValue<string>());
        Assert.True(patched["spec"]!["enable"]!.GetValue<bool>(), "a spec change through /status is ignored");
        Assert.Equal(1, patched["metadata"]!["generation"]!.GetValue<long>());
        Assert.NotEqual(Rv(created), Rv(patched));

        // The same status again writes nothing: the resourceVersion stays.
        await _client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new V1Patch(Add, V1Patch.PatchType.JsonPatch), "microservice.slime.io", "v1alpha1", "shop", "servicefences", "web", cancellationToken: Ct);
        Assert.Equal(Rv(patched), Rv(_server.Get("ServiceFence", "shop", "web", "microservice.slime.io")!));

        // A path that is not there: 422; an object that is not there: 404.
        var invalid = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch("""[{"op":"replace","path":"/status/x/y","value":1}]""", V1Patch.PatchType.JsonPatch), "microservice.slime.io", "v1alpha1", "shop", "servicefences", "web", cancellationToken: Ct));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.Response.StatusCode);
        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch(Add, V1Patch.PatchType.JsonPatch), "microservice.slime.io", "v1alpha1", "shop", "servicefences", "nope", cancellationToken: Ct));
        AssertStatus(missing, HttpStatusCode.NotFound, "NotFound");
    }

    [Fact]
    public async Task PatchStatus_OfAKindWithoutAStatusSubresource_Is404_AsForAMissingObject()
    {
        _server.Create("""{"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"r","namespace":"shop"},"spec":{"hosts":["r"]}}""");
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch("""[{"op":"add","path":"/status","value":{}}]""", V1Patch.PatchType.JsonPatch), Istio, "v1", "shop", "virtualservices", "r", cancellationToken: Ct));
        Assert.Equal(HttpStatusCode.NotFound, e.Response.StatusCode);
        Assert.Null(_server.Get("VirtualService", "shop", "r")!["status"]);
    }

    private async Task StartAsync(FakeKubeApiServerOptions options)
    {
        _server = await FakeKubeApiServer.StartAsync(options);
        _client = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = _server.Url.ToString() });
    }

    private async Task RestartAsync(FakeKubeApiServerOptions options)
    {
        _client.Dispose();
        await _server.DisposeAsync();
        await StartAsync(options);
    }

    /// <summary>Pages through a list one item at a time over raw HTTP; each page's <c>metadata.continue</c> as written (null: absent).</summary>
    private async Task<List<string?>> ContinueTokensAsync(string path)
    {
        using var http = new HttpClient { BaseAddress = _server.Url };
        var tokens = new List<string?>();
        string? next = null;
        do
        {
            var query = next is null ? "?limit=1" : $"?limit=1&continue={Uri.EscapeDataString(next)}";
            using var page = JsonDocument.Parse(await http.GetStringAsync(new Uri(path + query, UriKind.Relative), Ct));
            next = page.RootElement.GetProperty("metadata").TryGetProperty("continue", out var c) ? c.GetString() : null;
            tokens.Add(next);
        }
        while (next is { Length: > 0 });

        return tokens;
    }

    private ClientWatch<V1Service> WatchServices(string? resourceVersion, string? labelSelector = null, int? timeoutSeconds = null, bool bookmarks = true)
    {
        var errors = new List<Exception>();
        var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var events = _client.CoreV1.WatchListServiceForAllNamespacesAsync(
            allowWatchBookmarks: bookmarks, labelSelector: labelSelector, resourceVersion: resourceVersion, timeoutSeconds: timeoutSeconds, onError: errors.Add, cancellationToken: stop.Token);
        return new(events, errors, stop);
    }

    private static void AssertStatus(HttpOperationException e, HttpStatusCode code, string reason)
    {
        Assert.Equal(code, e.Response.StatusCode);
        var status = KubernetesJson.Deserialize<V1Status>(e.Response.Content);
        Assert.Equal(("Status", "Failure", reason, (int)code), (status.Kind, status.Status, status.Reason, status.Code ?? 0));
    }

    private static string Rv(System.Text.Json.Nodes.JsonObject obj) => obj["metadata"]!["resourceVersion"]!.GetValue<string>();

    private static string Service(string name, string ns, string labels = "{}") =>
        $$$"""{"apiVersion":"v1","kind":"Service","metadata":{"name":"{{{name}}}","namespace":"{{{ns}}}","labels":{{{labels}}}},"spec":{"ports":[{"port":80}]}}""";

    private static string VirtualService(string name, string version, string hosts = """["reviews"]""") =>
        $$$"""{"apiVersion":"{{{Istio}}}/{{{version}}}","kind":"VirtualService","metadata":{"name":"{{{name}}}","namespace":"bookinfo"},"spec":{"hosts":{{{hosts}}}}}""";

    /// <summary>A client watch drained in the background: events in order, onError calls, and how the stream ended.</summary>
    private sealed class ClientWatch<T> : IAsyncDisposable
    {
        private readonly Channel<(WatchEventType Type, T Object)> _events = Channel.CreateUnbounded<(WatchEventType, T)>();
        private readonly CancellationTokenSource _stop;
        private readonly List<(WatchEventType Type, T Object)> _received = [];

        public ClientWatch(IAsyncEnumerable<(WatchEventType, T)> stream, List<Exception> errors, CancellationTokenSource stop)
        {
            Errors = errors;
            _stop = stop;
            Completion = DrainAsync(stream);
        }

        /// <summary>Null when the stream ended cleanly; the exception that ended it otherwise.</summary>
        public Task<Exception?> Completion { get; }

        public List<Exception> Errors { get; }

        public IReadOnlyList<(WatchEventType Type, T Object)> Received
        {
            get
            {
                lock (_received)
                {
                    return [.. _received];
                }
            }
        }

        public async Task<List<(WatchEventType Type, T Object)>> TakeAsync(int count, CancellationToken ct)
        {
            var taken = new List<(WatchEventType, T)>();
            while (taken.Count < count)
            {
                taken.Add(await _events.Reader.ReadAsync(ct));
            }

            return taken;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await Completion;
            _stop.Dispose();
        }

        private async Task<Exception?> DrainAsync(IAsyncEnumerable<(WatchEventType, T)> stream)
        {
            await Task.Yield();
            try
            {
                await foreach (var evt in stream)
                {
                    lock (_received)
                    {
                        _received.Add(evt);
                    }

                    _events.Writer.TryWrite(evt);
                }

                return null;
            }
            catch (Exception e)
            {
                return e;
            }
            finally
            {
                _events.Writer.TryComplete();
            }
        }
    }
}
