using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Envoy.Config.Endpoint.V3;
using k8s;
using Mesh.Grains;
using Mesh.Grains.Dtos;
using Mesh.Grains.Keys;
using Mesh.Ingest.Kubernetes;
using Mesh.Ingest.Registry;
using Mesh.Ingest.Status;
using Mesh.Model.Config;
using Mesh.Model.Services;
using Mesh.Model.Translation;
using Mesh.Testing;
using Mesh.Testing.Kubernetes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Mesh.Ingest.Tests.Kubernetes;

/// <summary>
/// Endpoint locality from the Node a Pod runs on, through the real informers, the fake API server and
/// <see cref="KubernetesSource"/> writing to an in-process cluster: a relabelled Node moves the
/// endpoints of its Pods' services and no others; a Node heartbeat changes nothing; a Pod seen before
/// its Node gets the Node's locality when the Node arrives.
/// </summary>
public sealed class NodeLocalityTests : IAsyncLifetime, IDisposable
{
    private const string Ns = "shop";
    private const string HostA = $"a.{Ns}.svc.cluster.local";
    private const string HostB = $"b.{Ns}.svc.cluster.local";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly Mesh.Grains.Tests.ClusterFixture _cluster = new();
    private readonly IngestStatus _status = new();
    private FakeKubeApiServer _server = null!;
    private k8s.Kubernetes _client = null!;
    private KubernetesSource? _source;

    public async Task InitializeAsync()
    {
        _server = await FakeKubeApiServer.StartAsync();
        _client = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = _server.Url.ToString() });
        await _cluster.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        if (_source is not null)
        {
            await _source.StopAsync(CancellationToken.None);
        }
        await _server.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    public void Dispose()
    {
        _source?.Dispose();
        _client.Dispose();
    }

    [Fact]
    public async Task NodeInformer_KeepsOnlyTheLocalityLabels_SoHeartbeatsAndOtherLabelsAreNoChange()
    {
        var node = _server.Create(Node("node-1", "eu-west1", "eu-west1-b", heartbeat: "2026-11-23T09:00:00Z"));
        var sink = new RecordingSink();
        using var stop = new CancellationTokenSource(Timeout);
        var informer = new KubeInformer(KubeKind.Node, new KubernetesApi(_client), sink, new KubeInformerOptions(), TimeProvider.System, NullLogger.Instance);
        var running = informer.RunAsync(stop.Token);
        try
        {
            await informer.Synced.WaitAsync(Timeout);
            await _server.WaitForOpenWatchesAsync("Node", 1);
            var item = Assert.Single(informer.Items);
            var model = Assert.IsType<NodeObject>(item.Config);
            Assert.Equal([NodeObject.RegionLabel, NodeObject.ZoneLabel], model.Meta.Labels.Keys);
            Assert.Equal(new Locality("eu-west1", "eu-west1-b", ""), model.Locality);
            Assert.Equal("", item.Namespace);
            var events = informer.Status.Events;

            node["status"]!["conditions"]![0]!["lastHeartbeatTime"] = "2026-11-23T09:00:10Z";
            node["metadata"]!["labels"]!["node.kubernetes.io/instance-type"] = "n2-standard-8";
            node = _server.Update(node);
            await Eventually.WaitAsync(() => informer.Status.Events > events, () => "the MODIFIED event to arrive");
            Assert.Equal(["Added Node /node-1"], sink.Lines);

            node["metadata"]!["labels"]![NodeObject.ZoneLabel] = "eu-west1-c";
            _server.Update(node);
            await Eventually.WaitAsync(() => sink.Lines.Count == 2, () => string.Join("; ", sink.Lines));
            Assert.Equal("Updated Node /node-1", sink.Lines[1]);
        }
        finally
        {
            await stop.CancelAsync();
            await running;
        }
    }

    [Fact]
    public async Task NodeRelabelledToANewZone_MovesTheEndpointsOfThePodsOnIt_AndNoOthers()
    {
        var node1 = _server.Create(Node("node-1", "eu-west1", "eu-west1-b"));
        _server.Create(Node("node-2", "eu-west1", "eu-west1-c"));
        CreateService("a", podOnNode: "node-1", ip: "10.0.0.1");
        CreateService("b", podOnNode: "node-2", ip: "10.0.0.2");
        await StartSourceAsync();

        var a = await EdsAsync(HostA);
        var b = await EdsAsync(HostB);
        Assert.Equal("eu-west1/eu-west1-b/", a.Localities); // the Node's zone, not the slice's zone-a
        Assert.Equal("eu-west1/eu-west1-c/", b.Localities);
        var applies = _status.Current.Applies;

        node1["metadata"]!["labels"]![NodeObject.ZoneLabel] = "eu-west1-d";
        node1["metadata"]!["labels"]![NodeObject.SubZoneLabel] = "rack-7";
        _server.Update(node1);

        await EventuallyAsync(HostA, e => e.Localities == "eu-west1/eu-west1-d/rack-7", "a's endpoint to move to node-1's new zone");
        await Eventually.WaitAsync(() => _status.Current.Applies > applies, () => "the apply to be recorded");
        Assert.Equal(b, await EdsAsync(HostB));
        Assert.Equal(1, _status.Current.LastWrites); // a's endpoints only: b and the namespace are not written
    }

    [Fact]
    public async Task NodeHeartbeat_AppliesNothing()
    {
        var node = _server.Create(Node("node-1", "eu-west1", "eu-west1-b", heartbeat: "2026-11-23T09:00:00Z"));
        CreateService("a", podOnNode: "node-1", ip: "10.0.0.1");
        await StartSourceAsync();
        var before = await EdsAsync(HostA);
        var applies = _status.Current.Applies;
        var (events, changes) = (NodeStatus().Events, NodeStatus().EffectiveChanges);

        node["status"]!["conditions"]![0]!["lastHeartbeatTime"] = "2026-11-23T09:00:10Z";
        node["metadata"]!["annotations"] = new JsonObject { ["node.alpha.kubernetes.io/ttl"] = "0" };
        _server.Update(node);
        await Eventually.WaitAsync(() => NodeStatus().Events > events, () => "the heartbeat to reach the Node informer");
        await Task.Delay(TimeSpan.FromMilliseconds(500)); // 25× the debounce: an apply would have happened by now

        Assert.Equal(applies, _status.Current.Applies);
        Assert.Equal(changes, NodeStatus().EffectiveChanges);
        Assert.Equal(before, await EdsAsync(HostA));
    }

    [Fact]
    public async Task PodSeenBeforeItsNode_GetsTheNodesLocality_WhenTheNodeArrives_AndTheSliceZoneWhenItGoes()
    {
        CreateService("a", podOnNode: "node-1", ip: "10.0.0.1");
        await StartSourceAsync();
        Assert.Equal("/zone-a/", (await EdsAsync(HostA)).Localities); // no Node yet: the EndpointSlice's zone

        _server.Create(Node("node-1", "eu-west1", "eu-west1-b"));
        await EventuallyAsync(HostA, e => e.Localities == "eu-west1/eu-west1-b/", "a's endpoint to take node-1's locality");

        _server.Delete("Node", null, "node-1");
        await EventuallyAsync(HostA, e => e.Localities == "/zone-a/", "a's endpoint to fall back to the slice zone");
    }

    private void CreateService(string name, string podOnNode, string ip)
    {
        _server.Create(K8sObjects.Service(name, Ns, selector: $$"""{"app":"{{name}}"}"""));
        _server.Create(K8sObjects.Pod($"{name}-1", Ns, ip, labels: $$"""{"app":"{{name}}"}""", node: podOnNode));
        _server.Create(K8sObjects.Slice($"{name}-x", Ns, name, 8080, "grpc", (ip, $"{name}-1", true)));
    }

    private async Task StartSourceAsync()
    {
        var options = new KubernetesSourceOptions
        {
            DebounceAfter = TimeSpan.FromMilliseconds(20),
            DebounceMax = TimeSpan.FromMilliseconds(200),
            LeaderElection = false,
            Informer = new KubeInformerOptions { BackoffInitial = TimeSpan.FromMilliseconds(20), BackoffMax = TimeSpan.FromMilliseconds(200) },
        };
        _source = new KubernetesSource(Options.Create(options), new KubernetesApi(_client), _cluster.Client,
            new GrainWriter(_cluster.Client, NullLogger<GrainWriter>.Instance), _status, MeshSettings.Default, TimeProvider.System,
            NullLogger<KubernetesSource>.Instance);
        await _source.StartAsync(CancellationToken.None);
        await Eventually.WaitAsync(() => _source.Synced, () => "the source's first complete apply", Timeout);
    }

    private KubeKindStatus NodeStatus() => _source!.Kinds.Single(k => k.Kind == "Node");

    /// <summary>The service's load assignment: its version and its localities as "region/zone/subzone", comma-separated.</summary>
    private async Task<Eds> EdsAsync(string host)
    {
        var grain = _cluster.Client.GetGrain<IServiceGrain>(ServiceKey.From(host));
        var observer = new IgnoringObserver();
        var reference = _cluster.Client.CreateObjectReference<IXdsGatewayObserver>(observer);
        var snapshot = await grain.SubscribeAsync(reference);
        await grain.UnsubscribeAsync(reference);
        GC.KeepAlive(observer);
        var eds = Assert.Single(snapshot.Resources, r => r.TypeUrl == TypeUrls.Endpoint);
        var cla = ClusterLoadAssignment.Parser.ParseFrom(eds.Body.Span);
        return new Eds(eds.Version, string.Join(',', cla.Endpoints.Select(l => $"{l.Locality?.Region}/{l.Locality?.Zone}/{l.Locality?.SubZone}")));
    }

    private async Task EventuallyAsync(string host, Func<Eds, bool> condition, string what)
    {
        var last = await EdsAsync(host);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition(last))
        {
            if (clock.Elapsed > Timeout)
            {
                throw new TimeoutException($"waited {Timeout.TotalSeconds} s for {what}; {host} has localities '{last.Localities}'");
            }
            await Task.Delay(20);
            last = await EdsAsync(host);
        }
    }

    private static JsonObject Node(string name, string region, string zone, string heartbeat = "2026-11-23T09:00:00Z") => K8sObjects.Parse($$$"""
        {"apiVersion":"v1","kind":"Node","metadata":{"name":"{{{name}}}","labels":{
            "kubernetes.io/hostname":"{{{name}}}","kubernetes.io/os":"linux",
            "{{{NodeObject.RegionLabel}}}":"{{{region}}}","{{{NodeObject.ZoneLabel}}}":"{{{zone}}}"}},
         "spec":{"podCIDR":"10.244.0.0/24"},
         "status":{"conditions":[{"type":"Ready","status":"True","lastHeartbeatTime":"{{{heartbeat}}}"}]}}
        """);

    private sealed record Eds(string Version, string Localities);


    private sealed class IgnoringObserver : IXdsGatewayObserver
    {
        public Task OnResourcesChangedAsync(ResourceChange change) => Task.CompletedTask;

        public Task OnScopeChangedAsync(ScopeSnapshot snapshot) => Task.CompletedTask;

        public Task OnWorkloadChangedAsync(WorkloadSnapshot snapshot) => Task.CompletedTask;

        public Task OnRolloutsChangedAsync(System.Collections.Immutable.ImmutableArray<RolloutView> rollouts) => Task.CompletedTask;
    }
}
