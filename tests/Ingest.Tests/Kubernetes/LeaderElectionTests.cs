using System.Collections.Immutable;
using System.Net;
using k8s;
using Mesh.Grains;
using Mesh.Grains.Dtos;
using Mesh.Grains.Keys;
using Mesh.Ingest.Kubernetes;
using Mesh.Ingest.Kubernetes.Leadership;
using Mesh.Ingest.Registry;
using Mesh.Ingest.Status;
using Mesh.Model.Services;
using Mesh.Model.Translation;
using Mesh.Testing;
using Mesh.Testing.Kubernetes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Mesh.Ingest.Tests.Kubernetes;

/// <summary>
/// Ingest replicas electing a leader on a Lease of the fake API server and claiming their epochs on the
/// writer fence of an in-process cluster (a fresh one per test: the fence has one key). Lease timings are
/// short (1 s / 0.7 s / 0.2 s); every wait is bounded and says what it waited for.
/// </summary>
public sealed class LeaderElectionTests : IAsyncLifetime
{
    private const string LeaseNamespace = "mesh-system";
    private const string LeaseName = "mesh-ingest";
    private const string LeasePath = $"/apis/coordination.k8s.io/v1/namespaces/{LeaseNamespace}/leases/{LeaseName}";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly Mesh.Grains.Tests.ClusterFixture _cluster = new();
    private readonly List<IngestLeaderElection> _electors = [];
    private readonly List<IDisposable> _clients = [];
    private readonly List<KubernetesSource> _sources = [];
    private FakeKubeApiServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeKubeApiServer.StartAsync();
        await _cluster.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var s in _sources)
        {
            await s.StopAsync(CancellationToken.None);
            s.Dispose();
        }
        foreach (var e in _electors)
        {
            await e.StopAsync(CancellationToken.None);
            e.Dispose();
        }
        _clients.ForEach(c => c.Dispose());
        await _server.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task TwoReplicas_ExactlyOneLeads_WithLeaseTransitionsPlusOneAsItsClaimedEpoch()
    {
        var a = await StartAsync("ingest-a");
        var b = await StartAsync("ingest-b");

        var term = await Within(Task.WhenAny(a.WaitForLeadershipAsync(), b.WaitForLeadershipAsync()).Unwrap(), "a leader");
        var (leader, follower) = term.Identity == a.Identity ? (a, b) : (b, a);
        // Let the leader renew a few times while the follower keeps trying.
        var renewals = LeaseWrites() + 3;
        await _server.WaitUntilAsync(() => LeaseWrites() >= renewals, () => $"lease writes: expected {renewals}, actual {LeaseWrites()}", Timeout);

        Assert.True(leader.IsLeader);
        Assert.False(follower.IsLeader);
        Assert.False(follower.WaitForLeadershipAsync().IsCompleted);
        Assert.False(term.Lost.IsCancellationRequested);
        Assert.Equal((leader.Identity, 0), Lease());
        Assert.Equal(1, term.Epoch); // first holder: the Lease was created with leaseTransitions 0
        Assert.Equal((1L, leader.Identity), await FenceAsync());
        var status = leader.Status;
        Assert.Equal((leader.Identity, true, 1L, 0), (status.Holder, status.IsLeader, status.Epoch, status.Transitions));
        Assert.NotNull(status.LastRenew);
        Assert.Equal((leader.Identity, false, 0L), (follower.Status.Holder, follower.Status.IsLeader, follower.Epoch));
    }

    [Fact]
    public async Task StoppedLeader_HandsOverToTheOther_WithAHigherEpoch_AndTheOldEpochsWritesAreRejected()
    {
        var a = await StartAsync("ingest-a");
        var aTerm = await Within(a.WaitForLeadershipAsync(), "a to lead");
        var b = await StartAsync("ingest-b");
        var service = await ServiceAsync(aTerm.Epoch);

        await a.StopAsync(CancellationToken.None);
        Assert.True(aTerm.Lost.IsCancellationRequested);
        Assert.False(a.IsLeader);
        var bTerm = await Within(b.WaitForLeadershipAsync(), "b to take over");

        Assert.Equal(aTerm.Epoch + 1, bTerm.Epoch);
        Assert.Equal(("ingest-b", 1), Lease()); // LeaseLock counted the change of holder
        Assert.Equal((bTerm.Epoch, "ingest-b"), await FenceAsync());
        await AssertOldEpochRejectedAndNewAppliedAsync(service, aTerm.Epoch, bTerm.Epoch);
    }

    [Fact]
    public async Task LeaderThatCannotRenew_StepsDown_TheOtherTakesOver_AndTheDeposedLeadersLateWriteIsRejected()
    {
        var partition = new PartitionHandler();
        var a = await StartAsync("ingest-a", partition);
        var aTerm = await Within(a.WaitForLeadershipAsync(), "a to lead");
        var b = await StartAsync("ingest-b");
        var service = await ServiceAsync(aTerm.Epoch);

        partition.Partitioned = true; // a's renewals now get 503
        await LostAsync(aTerm, "a, which cannot renew, to step down");
        var bTerm = await Within(b.WaitForLeadershipAsync(), "b to take over");

        Assert.False(a.IsLeader);
        Assert.Contains("503", a.Status.LastError, StringComparison.Ordinal);
        Assert.True(bTerm.Epoch > aTerm.Epoch, $"b's epoch {bTerm.Epoch} must be above a's {aTerm.Epoch}");
        Assert.Equal(("ingest-b", 1), Lease());
        // a, deposed but unaware (a paused process), still writes with its old epoch.
        await AssertOldEpochRejectedAndNewAppliedAsync(service, aTerm.Epoch, bTerm.Epoch);

        // Back on the network, a sees b's Lease and does not lead again.
        partition.Partitioned = false;
        var writes = LeaseWrites() + 3;
        await _server.WaitUntilAsync(() => LeaseWrites() >= writes && a.Status.Holder == "ingest-b", () => $"a to see b's renewals; a sees {a.Status.Holder}", Timeout);
        Assert.False(a.IsLeader);
        Assert.True(b.IsLeader);
    }

    [Fact]
    public async Task LeaseDeleted_NextLeaderRaisesLeaseTransitionsPastTheFence_AndLeadsWithAHigherEpoch()
    {
        var a = await StartAsync("ingest-a");
        var aTerm = await Within(a.WaitForLeadershipAsync(), "a to lead");
        await a.StopAsync(CancellationToken.None);
        _server.Delete("Lease", LeaseNamespace, LeaseName); // the re-created Lease counts from 0: b would be epoch 1 again

        var b = await StartAsync("ingest-b");
        var bTerm = await Within(b.WaitForLeadershipAsync(), "b to lead on the re-created Lease");

        Assert.Equal(aTerm.Epoch + 1, bTerm.Epoch);
        Assert.Equal(("ingest-b", (int)aTerm.Epoch), Lease());
        Assert.Equal((bTerm.Epoch, "ingest-b"), await FenceAsync());
        await AssertOldEpochRejectedAndNewAppliedAsync(await ServiceAsync(0), aTerm.Epoch, bTerm.Epoch);
    }

    [Fact]
    public async Task StaleClaim_ThatCannotBeRepaired_DoesNotLead()
    {
        await Fence().ClaimAsync(50, "elsewhere");
        _server.FailNext(LeasePath, 500, count: 10_000, KubeApiVerb.Update); // creating the Lease works; raising it does not
        var a = await StartAsync("ingest-a");

        await _server.WaitUntilAsync(
            () => LeaseWrites(KubeApiVerb.Update) >= 3 && a.Status.LastError is not null,
            () => $"a to try to raise the Lease; lease updates {LeaseWrites(KubeApiVerb.Update)}, a's last error {a.Status.LastError}",
            Timeout);

        Assert.False(a.IsLeader);
        Assert.Equal(0, a.Epoch);
        Assert.False(a.WaitForLeadershipAsync().IsCompleted);
        Assert.True(a.LeadershipLost.IsCancellationRequested);
        Assert.Equal((50L, "elsewhere"), await FenceAsync());
    }

    /// <summary>
    /// Readiness of two Kubernetes sources on one Lease: neither is ready while a kind is still listing
    /// (the reason names it); then the leader is ready once it has applied and marked the mesh ready,
    /// and the follower, which writes nothing, is ready as soon as it has listed everything (warm to
    /// take over), so a rolling update of two replicas is not stuck on a follower that can never apply.
    /// </summary>
    [Fact]
    public async Task KubernetesSources_NotReadyWhileListing_ThenLeaderReadyAfterItsApply_FollowerReadyOnceListed()
    {
        _server.Create(K8sObjects.Service("echo", "shop", selector: """{"app":"echo"}"""));
        _server.Create(K8sObjects.Pod("echo-1", "shop", "10.0.0.1", labels: """{"app":"echo"}"""));
        _server.Create(K8sObjects.Slice("echo-x", "shop", "echo", 8080, "grpc", ("10.0.0.1", "echo-1", true)));
        using var podList = _server.Hold("/api/v1/pods", KubeApiVerb.List);
        var (a, statusA) = await StartSourceAsync("ingest-a");
        var (b, statusB) = await StartSourceAsync("ingest-b");

        await Eventually.WaitAsync(() => podList.Waiting == 2, () => $"both Pod lists to be held; waiting {podList.Waiting}", Timeout);
        await Eventually.WaitAsync(() => a.Kinds.Count(k => k.Synced) == a.Kinds.Count - 1 && b.Kinds.Count(k => k.Synced) == b.Kinds.Count - 1,
            () => "every kind but Pod to be listed by both", Timeout);
        foreach (var source in new[] { a, b })
        {
            var (ready, why) = source.Readiness();
            Assert.False(ready);
            Assert.Equal("still listing from the Kubernetes API: Pod", why);
        }

        podList.Release();
        await Eventually.WaitAsync(() => a.Synced || b.Synced, () => "one source to apply and mark the mesh ready", Timeout);
        var (leader, follower, followerStatus) = a.Synced ? (a, b, statusB) : (b, a, statusA);
        await Eventually.WaitAsync(() => follower.Readiness().Ready, () => $"the follower to be ready: {follower.Readiness().Why}", Timeout);
        Assert.True(leader.Readiness().Ready);
        Assert.False(follower.Synced);
        Assert.Equal(0, followerStatus.Current.Applies); // it wrote nothing: the leader writes
        Assert.True(await _cluster.Client.GetGrain<IMeshGrain>(MeshKey.Default).IsReadyAsync());
    }

    private async Task<(KubernetesSource Source, IngestStatus Status)> StartSourceAsync(string identity)
    {
        var election = await StartAsync(identity);
        var client = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = _server.Url.ToString() });
        _clients.Add(client);
        var status = new IngestStatus();
        var options = new KubernetesSourceOptions
        {
            DebounceAfter = TimeSpan.FromMilliseconds(20),
            DebounceMax = TimeSpan.FromMilliseconds(200),
            Informer = new KubeInformerOptions { BackoffInitial = TimeSpan.FromMilliseconds(20), BackoffMax = TimeSpan.FromMilliseconds(200) },
        };
        var source = new KubernetesSource(Options.Create(options), new KubernetesApi(client), _cluster.Client,
            new GrainWriter(_cluster.Client, NullLogger<GrainWriter>.Instance), status, MeshSettings.Default, TimeProvider.System,
            NullLogger<KubernetesSource>.Instance, election);
        _sources.Add(source);
        await source.StartAsync(CancellationToken.None);
        return (source, status);
    }

    private async Task<IngestLeaderElection> StartAsync(string identity, DelegatingHandler? handler = null)
    {
        var config = new KubernetesClientConfiguration { Host = _server.Url.ToString() };
        var client = handler is null ? new k8s.Kubernetes(config) : new k8s.Kubernetes(config, handler);
        _clients.Add(client);
        var options = new IngestLeaderElectionOptions
        {
            LeaseNamespace = LeaseNamespace,
            LeaseName = LeaseName,
            Identity = identity,
            LeaseDuration = TimeSpan.FromSeconds(1),
            RenewDeadline = TimeSpan.FromMilliseconds(700),
            RetryPeriod = TimeSpan.FromMilliseconds(200),
        };
        Assert.True(new IngestLeaderElectionOptionsValidator().Validate(null, options).Succeeded);
        var elector = new IngestLeaderElection(client, _cluster.Client, Options.Create(options), TimeProvider.System, NullLogger<IngestLeaderElection>.Instance);
        _electors.Add(elector);
        await elector.StartAsync(CancellationToken.None);
        return elector;
    }

    private IWriterFenceGrain Fence() => _cluster.Client.GetGrain<IWriterFenceGrain>(WriterFenceKey.Ingest);

    private async Task<(long Epoch, string? Holder)> FenceAsync()
    {
        var fence = await Fence().GetAsync();
        return (fence.Epoch, fence.Holder);
    }

    private (string? Holder, int Transitions) Lease()
    {
        var spec = _server.Get("Lease", LeaseNamespace, LeaseName)?["spec"];
        return (spec?["holderIdentity"]?.GetValue<string>(), spec?["leaseTransitions"]?.GetValue<int>() ?? 0);
    }

    private int LeaseWrites(KubeApiVerb? verb = null) =>
        _server.Requests.Count(r => r.Path == LeasePath && (verb is null ? r.Verb is KubeApiVerb.Update or KubeApiVerb.Create : r.Verb == verb));

    private async Task<IServiceGrain> ServiceAsync(long epoch)
    {
        var host = $"svc-{Guid.NewGuid():N}.t.svc.cluster.local";
        var grain = _cluster.Client.GetGrain<IServiceGrain>(ServiceKey.From(host));
        var definition = new MeshService(host, "t", [new MeshServicePort("http", 80, Protocol.Http, 8080)], ["10.96.1.1"],
            ServiceOrigin.Kubernetes, Resolution.Static, [], ImmutableSortedDictionary<string, string>.Empty);
        await grain.UpdateAsync(new ServiceUpdate { Definition = definition, Endpoints = [Endpoint("10.0.0.1")], WriterEpoch = epoch });
        return grain;
    }

    private static ServiceEndpoint Endpoint(string ip) => new(ip,
        ImmutableSortedDictionary<int, int>.Empty.Add(80, 8080), ImmutableSortedDictionary<string, string>.Empty,
        Locality.None, 1, EndpointHealth.Healthy, null, null);

    /// <summary>The service's resources as one string of "type name version" lines.</summary>
    private async Task<string> VersionsAsync(IServiceGrain grain)
    {
        var observer = new IgnoringObserver();
        var snapshot = await grain.SubscribeAsync(_cluster.Client.CreateObjectReference<IXdsGatewayObserver>(observer));
        GC.KeepAlive(observer);
        return string.Join('\n', snapshot.Resources.Select(r => $"{r.TypeUrl} {r.Name} {r.Version}").Order(StringComparer.Ordinal));
    }

    private async Task AssertOldEpochRejectedAndNewAppliedAsync(IServiceGrain service, long oldEpoch, long newEpoch)
    {
        var before = await VersionsAsync(service);

        var e = await Assert.ThrowsAsync<StaleWriterException>(() =>
            service.UpdateAsync(new ServiceUpdate { Endpoints = [Endpoint("10.0.0.9")], WriterEpoch = oldEpoch }));
        Assert.Equal((oldEpoch, newEpoch), (e.RejectedEpoch, e.CurrentEpoch));
        Assert.Equal(before, await VersionsAsync(service));

        await service.UpdateAsync(new ServiceUpdate { Endpoints = [Endpoint("10.0.0.2")], WriterEpoch = newEpoch });
        Assert.NotEqual(before, await VersionsAsync(service));
    }

    private static async Task<T> Within<T>(Task<T> task, string what)
    {
        try
        {
            return await task.WaitAsync(Timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"waited {Timeout.TotalSeconds} s for {what}");
        }
    }

    private static async Task LostAsync(LeaderTerm term, string what)
    {
        try
        {
            await Task.Delay(System.Threading.Timeout.Infinite, term.Lost).WaitAsync(Timeout);
        }
        catch (TaskCanceledException) when (term.Lost.IsCancellationRequested)
        {
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"waited {Timeout.TotalSeconds} s for {what} (term of {term.Identity}, epoch {term.Epoch})");
        }
    }

    /// <summary>Cuts one replica off the API server: while partitioned, every request gets 503.</summary>
    private sealed class PartitionHandler : DelegatingHandler
    {
        private volatile bool _partitioned;

        public bool Partitioned { get => _partitioned; set => _partitioned = value; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            _partitioned
                ? Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { RequestMessage = request, Content = new StringContent("partitioned") })
                : base.SendAsync(request, cancellationToken);
    }

    private sealed class IgnoringObserver : IXdsGatewayObserver
    {
        public Task OnResourcesChangedAsync(ResourceChange change) => Task.CompletedTask;

        public Task OnScopeChangedAsync(ScopeSnapshot snapshot) => Task.CompletedTask;

        public Task OnWorkloadChangedAsync(WorkloadSnapshot snapshot) => Task.CompletedTask;

        public Task OnRolloutsChangedAsync(System.Collections.Immutable.ImmutableArray<RolloutView> rollouts) => Task.CompletedTask;
    }
}
