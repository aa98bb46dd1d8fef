using System.Collections.Concurrent;
using k8s;
using Mesh.Ingest.Kubernetes;
using Mesh.Model.Config;
using Mesh.Testing;
using Mesh.Testing.Kubernetes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Ingest.Tests.Kubernetes;

/// <summary>
/// <see cref="KubeInformer"/> against the fake API server over the real list/watch wire protocol:
/// initial sync, resume without relist, relist after 410 with a missed delete, UID re-create, no-op
/// events, bookmarks, CRDs that are not installed, invalid custom resources, and lists whose paging
/// ends with an empty continue token or does not end.
/// </summary>
public sealed class InformerTests : IAsyncLifetime, IDisposable
{
    private readonly CancellationTokenSource _stop = new(TimeSpan.FromSeconds(20));
    private readonly RecordingSink _sink = new();
    private readonly List<Task> _running = [];
    private FakeKubeApiServer _server = null!;
    private k8s.Kubernetes _client = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeKubeApiServer.StartAsync();
        _client = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = _server.Url.ToString() });
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_running).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default);
        await _server.DisposeAsync();
    }

    public void Dispose()
    {
        _client.Dispose();
        _stop.Dispose();
    }

    private KubeInformer Start(KubeKind kind, KubeInformerOptions? options = null, TimeProvider? time = null, ILogger? logger = null)
    {
        var informer = new KubeInformer(kind, new KubernetesApi(_client), _sink,
            options ?? new KubeInformerOptions { BackoffInitial = TimeSpan.FromMilliseconds(20), BackoffMax = TimeSpan.FromMilliseconds(200), NotServedRetry = TimeSpan.FromMilliseconds(200) },
            time ?? TimeProvider.System, logger ?? NullLogger.Instance);
        _running.Add(informer.RunAsync(_stop.Token));
        return informer;
    }

    private async Task RestartServerAsync(FakeKubeApiServerOptions options)
    {
        _client.Dispose();
        await _server.DisposeAsync();
        _server = await FakeKubeApiServer.StartAsync(options);
        _client = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = _server.Url.ToString() });
    }

    private static async Task SyncedAsync(KubeInformer informer) => await informer.Synced.WaitAsync(TimeSpan.FromSeconds(5));

    [Fact]
    public async Task FirstList_AllObjectsArriveAsAdded_ThenSynced()
    {
        _server.Create(K8sObjects.Service("a", "ns1"));
        _server.Create(K8sObjects.Service("b", "ns2"));

        var informer = Start(KubeKind.Service);
        await SyncedAsync(informer);

        Assert.Equal(["Added Service ns1/a", "Added Service ns2/b"], _sink.Lines.Order(StringComparer.Ordinal));
        var status = informer.Status;
        Assert.True(status.Synced);
        Assert.Equal(2, status.Objects);
        Assert.Equal(1, status.Lists);
        Assert.Equal(0, status.Relists);
        Assert.Equal("v1", status.Version);
        var svc = Assert.IsType<KubeService>(informer.Items.Single(i => i.Name == "a").Config);
        Assert.Equal(8080, svc.Ports.Single().Port);
    }

    [Theory]
    [InlineData(403, "the ingest's identity may not list services: grant get, list and watch on it in the ingest's ClusterRole (deploy/k8s/ingest.yaml)")]
    [InlineData(401, "the API server rejected the ingest's credentials for list services: check its ServiceAccount token or kubeconfig")]
    public async Task DeniedList_SaysWhatToFix_KeepsTheServersReason_AndSyncsOnceAllowed(int status, string action)
    {
        _server.Create(K8sObjects.Service("a", "ns1"));
        _server.FailNext("/api/v1/services", status, count: 2, KubeApiVerb.List);

        var informer = Start(KubeKind.Service);
        await SyncedAsync(informer);

        var error = informer.Status.LastError;
        Assert.NotNull(error);
        Assert.StartsWith(action + "; HTTP " + status, error, StringComparison.Ordinal);
        Assert.Contains("injected failure: GET /api/v1/services", error, StringComparison.Ordinal);
        Assert.Equal(2, informer.Status.WatchFailures);
        Assert.Equal(["Added Service ns1/a"], _sink.Lines);
    }

    [Fact]
    public async Task DroppedWatch_ResumesFromLastResourceVersion_WithoutRelisting()
    {
        _server.Create(K8sObjects.Service("a", "ns"));
        var informer = Start(KubeKind.Service);
        await SyncedAsync(informer);
        await _server.WaitForOpenWatchesAsync("Service", 1);

        _server.DropWatches();
        _server.Create(K8sObjects.Service("b", "ns")); // while the watch is down

        await Eventually.WaitAsync(() => _sink.Lines.Contains("Added Service ns/b"), () => string.Join("; ", _sink.Lines));
        Assert.Equal(1, _server.ListRequestCount("Service"));
        Assert.True(_server.WatchRequestCount("Service") >= 2, "the watch was re-opened");
        Assert.Equal(0, informer.Status.Relists);
        Assert.True(informer.Status.WatchFailures >= 1);
    }

    [Fact]
    public async Task ExpiredResourceVersion_Relists_AndAppliesTheDeleteMissedWhileDisconnected()
    {
        _server.Create(K8sObjects.Service("keep", "ns"));
        _server.Create(K8sObjects.Service("gone", "ns"));
        var informer = Start(KubeKind.Service);
        await SyncedAsync(informer);
        await _server.WaitForOpenWatchesAsync("Service", 1);
        _server.DropWatches();
        await _server.WaitForOpenWatchesAsync("Service", 0);

        // While disconnected: a delete, then history is compacted past it (the watch resumes into a 410).
        _server.Delete("Service", "ns", "gone");
        _server.Compact();

        await Eventually.WaitAsync(() => _sink.Lines.Contains("Deleted Service ns/gone"), () => string.Join("; ", _sink.Lines));
        Assert.Equal(2, _server.ListRequestCount("Service"));
        Assert.Equal(1, informer.Status.Relists);
        Assert.Equal(["keep"], informer.Items.Select(i => i.Name));
        Assert.DoesNotContain("Deleted Service ns/keep", _sink.Lines);
    }

    [Fact]
    public async Task RecreatedUnderTheSameName_IsADeleteAndAnAdd_EvenWhenOnlyTheRelistSeesIt()
    {
        _server.Create(K8sObjects.Service("a", "ns"));
        var informer = Start(KubeKind.Service);
        await SyncedAsync(informer);
        var firstUid = informer.Items.Single().Uid;
        await _server.WaitForOpenWatchesAsync("Service", 1);
        _server.DropWatches();
        await _server.WaitForOpenWatchesAsync("Service", 0);

        _server.Delete("Service", "ns", "a");
        _server.Create(K8sObjects.Service("a", "ns"));
        _server.Compact();

        await Eventually.WaitAsync(() => informer.Items.SingleOrDefault()?.Uid is { } uid && uid != firstUid, () => string.Join("; ", _sink.Lines));
        Assert.Equal(["Added Service ns/a", "Deleted Service ns/a", "Added Service ns/a"], _sink.Lines);
        Assert.Equal(1, informer.Status.Relists);
    }

    [Fact]
    public async Task PodStatusHeartbeat_IsAnEventButNoChange()
    {
        var pod = _server.Create(K8sObjects.Pod("p", "ns", "10.0.0.1"));
        var informer = Start(KubeKind.Pod);
        await SyncedAsync(informer);
        await _server.WaitForOpenWatchesAsync("Pod", 1);
        var eventsBefore = informer.Status.Events;

        pod["status"]!["conditions"]![0]!["lastProbeTime"] = "2026-11-23T09:00:00Z";
        pod["metadata"]!["annotations"] = new System.Text.Json.Nodes.JsonObject { ["kubectl.kubernetes.io/restartedAt"] = "now" };
        _server.Update(pod);
        await Eventually.WaitAsync(() => informer.Status.Events > eventsBefore, () => "the MODIFIED event to arrive");

        Assert.Equal(["Added Pod ns/p"], _sink.Lines);

        pod = _server.Get("Pod", "ns", "p")!;
        pod["status"]!["podIP"] = "10.0.0.2";
        _server.Update(pod);
        await Eventually.WaitAsync(() => _sink.Lines.Count == 2, () => string.Join("; ", _sink.Lines));
        Assert.Equal("Updated Pod ns/p", _sink.Lines[1]);
    }

    [Fact]
    public async Task Bookmark_MovesTheResourceVersionOn()
    {
        _server.Create(K8sObjects.Service("a", "ns"));
        _server.Create(K8sObjects.Pod("p", "ns", "10.0.0.1")); // moves the global resourceVersion past the services'
        var informer = Start(KubeKind.Service);
        await SyncedAsync(informer);
        await _server.WaitForOpenWatchesAsync("Service", 1);
        _server.Create(K8sObjects.Pod("q", "ns", "10.0.0.2"));

        _server.SendBookmarks();

        await Eventually.WaitAsync(() => informer.Status.ResourceVersion == _server.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture),
            () => $"resourceVersion {informer.Status.ResourceVersion}, server at {_server.ResourceVersion}");
        Assert.Equal(["Added Service ns/a"], _sink.Lines);
    }

    [Fact]
    public async Task CrdNotInstalled_CountsAsSyncedAndEmpty_AndIsPickedUpOnceServed()
    {
        _server.StopServing("VirtualService");
        var informer = Start(KubeKind.VirtualService);
        await SyncedAsync(informer);
        Assert.False(informer.Status.Served);
        Assert.Empty(informer.Items);

        _server.Create(K8sObjects.VirtualService("r", "ns", "a.ns.svc.cluster.local", """
            "http":[{"route":[{"destination":{"host":"a.ns.svc.cluster.local"}}]}]
            """));
        // Install one version: a probe of v1 that just missed it must not find another version mid-install.
        _server.ResumeServing("VirtualService", "v1");

        await Eventually.WaitAsync(() => _sink.Lines.Contains("Added VirtualService ns/r"), () => string.Join("; ", _sink.Lines));
        Assert.True(informer.Status.Served);
        Assert.Equal("v1", informer.Status.Version);
    }

    [Fact]
    public async Task ServiceFence_IsReadFromBothOfSlimesGroups_EachInformerItsOwn()
    {
        _server.Create(K8sObjects.Parse("""
            {"apiVersion":"microservice.slime.io/v1alpha1","kind":"ServiceFence","metadata":{"name":"web","namespace":"shop"},
             "spec":{"enable":true,"host":{"cart.shop.svc.cluster.local":{"stable":{}}}}}
            """));
        _server.Create(K8sObjects.Parse("""
            {"apiVersion":"microservice.netease.com/v1alpha1","kind":"ServiceFence","metadata":{"name":"pay","namespace":"shop"},
             "spec":{"enable":true,"host":{"ledger.bank.svc.cluster.local":{"deadline":{"expire":{"seconds":1893456000}}}}}}
            """));

        var slime = Start(KubeKind.ServiceFence);
        var netease = Start(KubeKind.ServiceFenceNetease);
        await SyncedAsync(slime);
        await SyncedAsync(netease);

        var web = Assert.IsType<ServiceFence>(Assert.Single(slime.Items).Config);
        Assert.Equal("microservice.slime.io/v1alpha1", web.ApiVersion);
        Assert.Equal(FenceRecycling.Stable, web.Hosts["cart.shop.svc.cluster.local"].Recycling);
        var pay = Assert.IsType<ServiceFence>(Assert.Single(netease.Items).Config);
        Assert.Equal("microservice.netease.com/v1alpha1", pay.ApiVersion);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1893456000), pay.Hosts["ledger.bank.svc.cluster.local"].Expire);
        Assert.Equal("ServiceFence", slime.Status.Kind);
        Assert.Equal("ServiceFence.microservice.netease.com", netease.Status.Kind);
    }

    [Fact]
    public async Task OlderIstioVersionOnly_IsListedAtThatVersion()
    {
        _server.StopServing("VirtualService", "v1");
        _server.StopServing("VirtualService", "v1beta1");
        _server.Create(K8sObjects.VirtualService("r", "ns", "a.ns.svc.cluster.local", """
            "http":[{"route":[{"destination":{"host":"a.ns.svc.cluster.local"}}]}]
            """));

        var informer = Start(KubeKind.VirtualService);
        await SyncedAsync(informer);

        Assert.Equal("v1alpha3", informer.Status.Version);
        Assert.IsType<VirtualService>(informer.Items.Single().Config);
    }

    [Fact]
    public async Task InvalidVirtualService_IsRejectedAloneWithItsField()
    {
        _server.Create(K8sObjects.VirtualService("good", "ns", "a.ns.svc.cluster.local", """
            "http":[{"route":[{"destination":{"host":"a.ns.svc.cluster.local"}}]}]
            """));
        _server.Create(K8sObjects.VirtualService("bad", "ns", "a.ns.svc.cluster.local", """
            "http":[{"route":[{"destination":{"host":"a.ns.svc.cluster.local"},"weight":60},{"destination":{"host":"b.ns.svc.cluster.local"},"weight":-30}]}]
            """));

        var informer = Start(KubeKind.VirtualService);
        await SyncedAsync(informer);

        var rejected = Assert.Single(informer.Status.Rejected);
        Assert.Equal(("VirtualService", "ns", "bad"), (rejected.Kind, rejected.Namespace, rejected.Name));
        Assert.Contains("weight", rejected.ToString(), StringComparison.Ordinal);
        Assert.NotNull(informer.Items.Single(i => i.Name == "good").Config);
        Assert.Null(informer.Items.Single(i => i.Name == "bad").Config);
    }

    [Fact]
    public async Task ServedVirtualService_CarriesItsWarnings_UntranslatedFieldsAndProxylessOmissions()
    {
        _server.Create(K8sObjects.VirtualService("a-untranslated", "ns", "a.ns.svc.cluster.local", """
            "tls":[{"match":[{"sniHosts":["a.ns.svc.cluster.local"],"destinationSubnets":["10.0.0.0/8"]}],"route":[{"destination":{"host":"a.ns.svc.cluster.local"}}]}],
            "http":[{"route":[{"destination":{"host":"a.ns.svc.cluster.local"}}]}]
            """));
        // Every field read and translated for Envoy: its only warning is what proxyless clients go without.
        _server.Create(K8sObjects.VirtualService("b-proxyless-only", "ns", "a.ns.svc.cluster.local", """
            "http":[{"headers":{"request":{"set":{"x-a":"1"}}},"route":[{"destination":{"host":"a.ns.svc.cluster.local"}}]}]
            """));

        var informer = Start(KubeKind.VirtualService);
        await SyncedAsync(informer);

        Assert.Empty(informer.Status.Rejected);
        Assert.Equal(
            [("a-untranslated", "spec.tls[0].match[0].destinationSubnets", "all"), ("b-proxyless-only", "spec.http[0].headers", "proxyless")],
            informer.Status.Warnings.Select(w => (w.Name, w.Field, ConfigWarnings.ClientsOf(w))));
    }

    [Theory]
    [InlineData("Service", 5, 3)]
    [InlineData("Service", 1, 1)]
    [InlineData("VirtualService", 5, 3)]
    [InlineData("VirtualService", 1, 1)]
    public async Task List_LastPageCarriesEmptyContinue_SyncsAfterExactlyItsPages(string kind, int objects, int pages)
    {
        // kube-apiserver writes "continue": "" on a custom resource list's last page; any server may on any list.
        await RestartServerAsync(new FakeKubeApiServerOptions { EmptyContinueOnBuiltInLists = true });
        for (var i = 0; i < objects; i++)
        {
            _server.Create(kind == "Service" ? K8sObjects.Service($"s{i}", "ns") : K8sObjects.VirtualService($"s{i}", "ns", "a.ns.svc.cluster.local", """
                "http":[{"route":[{"destination":{"host":"a.ns.svc.cluster.local"}}]}]
                """));
        }

        var informer = Start(kind == "Service" ? KubeKind.Service : KubeKind.VirtualService, new KubeInformerOptions { PageSize = 2 });
        await SyncedAsync(informer);
        await _server.WaitForOpenWatchesAsync(kind, 1);

        Assert.Equal(pages, _server.ListRequestCount(kind));
        Assert.Equal(objects, _sink.Lines.Count(l => l.StartsWith($"Added {kind} ns/", StringComparison.Ordinal)));
        Assert.Equal((1, 0L), (informer.Status.Lists, informer.Status.WatchFailures));
    }

    [Fact]
    public async Task List_ContinueTokensThatNeverEnd_FailAtMaxListPages_EachAttempt_AndRetryAfterBackoff()
    {
        _server.Create(K8sObjects.Service("a", "ns"));
        _server.Create(K8sObjects.Service("b", "ns"));
        _server.BreakPaging("Service", KubePagingFault.EndlessTokens);
        var clock = new TimerCountingTimeProvider();
        using var logs = new CapturingLoggerProvider();
        using var failures = new FailureCounter("Service", "too-many-pages");
        var options = new KubeInformerOptions { PageSize = 1, MaxListPages = 4, BackoffInitial = TimeSpan.FromSeconds(1), BackoffMax = TimeSpan.FromSeconds(1) };

        var informer = Start(KubeKind.Service, options, clock, logs.CreateLogger("informer"));
        await Eventually.WaitAsync(() => clock.Timers == 1, () => $"the first list to fail and back off: {informer.Status}");

        const string Error = "the list of services did not end after 4 pages of 1 (Kubernetes:Informer:MaxListPages is 4): the API server kept sending a continue token. " +
            "If there really are more than 4 services, raise Kubernetes:Informer:MaxListPages";
        Assert.Equal(4, _server.ListRequestCount("Service"));
        Assert.Equal(Error, informer.Status.LastError);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Message.StartsWith($"Service: {Error}; retrying in ", StringComparison.Ordinal));
        Assert.Equal((false, 1L, 1L), (informer.Synced.IsCompleted, informer.Status.WatchFailures, failures.Total));
        Assert.Empty(_sink.Lines);

        clock.Advance(options.BackoffMax * 1.5); // the longest jittered backoff
        await Eventually.WaitAsync(() => clock.Timers == 2, () => $"the retried list to fail and back off: {informer.Status}");

        Assert.Equal(8, _server.ListRequestCount("Service"));
        Assert.Equal((false, 2L, 2L), (informer.Synced.IsCompleted, informer.Status.WatchFailures, failures.Total));
    }

    [Fact]
    public async Task List_SameContinueTokenTwiceInARow_FailsAtTheSecondPage_AndSyncsOnceTheServerPages()
    {
        _server.Create(K8sObjects.Service("a", "ns"));
        _server.Create(K8sObjects.Service("b", "ns"));
        _server.BreakPaging("Service", KubePagingFault.RepeatedToken);
        var clock = new TimerCountingTimeProvider();
        using var failures = new FailureCounter("Service", "repeated-continue");
        var options = new KubeInformerOptions { PageSize = 1, BackoffInitial = TimeSpan.FromSeconds(1), BackoffMax = TimeSpan.FromSeconds(1) };

        var informer = Start(KubeKind.Service, options, clock);
        await Eventually.WaitAsync(() => clock.Timers == 1, () => $"the list to fail and back off: {informer.Status}");

        Assert.Equal(2, _server.ListRequestCount("Service"));
        Assert.StartsWith("the list of services got the same continue token for pages 1 and 2: the API server is not paging", informer.Status.LastError, StringComparison.Ordinal);
        Assert.Equal((false, 1L), (informer.Synced.IsCompleted, failures.Total));

        _server.BreakPaging("Service", KubePagingFault.None);
        clock.Advance(options.BackoffMax * 1.5);
        await SyncedAsync(informer);

        Assert.Equal(4, _server.ListRequestCount("Service"));
        Assert.Equal(["Added Service ns/a", "Added Service ns/b"], _sink.Lines);
    }
}
