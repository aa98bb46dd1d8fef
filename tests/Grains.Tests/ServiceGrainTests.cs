using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Mesh.Grains.Keys;
using Mesh.Grains.Service;
using Mesh.Model.Config;
using Mesh.Model.Services;
using Mesh.Model.Translation;

namespace Mesh.Grains.Tests;

public sealed class ServiceGrainTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private static MeshService Service(string host) => TestServices.Service(host);

    private static ServiceEndpoint Endpoint(string ip, string version) => TestServices.Endpoint(ip, version);

    private static ServiceRouting Subsets(string host) => new(TestServices.Subsets(host), []);

    private async Task<(IServiceGrain Grain, RecordingObserver Observer, ServiceSnapshot Snapshot, string Host)> SetUpAsync()
    {
        var host = $"svc-{Guid.NewGuid():N}.t.svc.cluster.local";
        var grain = fixture.Client.GetGrain<IServiceGrain>(ServiceKey.From(host));
        await grain.UpdateAsync(new ServiceUpdate { Definition = Service(host), Endpoints = [Endpoint("10.0.0.1", "v1"), Endpoint("10.0.0.2", "v2")], Routing = Subsets(host) });
        var observer = new RecordingObserver();
        var snapshot = await grain.SubscribeAsync(fixture.Client.CreateObjectReference<IXdsGatewayObserver>(observer));
        return (grain, observer, snapshot, host);
    }

    [Fact]
    public async Task Subscribe_ReturnsClustersAndLoadAssignmentsPerSubset_AndProxylessListenerAndRoute()
    {
        var (_, _, snapshot, host) = await SetUpAsync();

        var names = snapshot.Resources.Select(r => (TypeUrls.ShortName(r.TypeUrl), r.Name)).Order().ToList();
        Assert.Equal(
            [("cds", $"outbound|80|v1|{host}"), ("cds", $"outbound|80|v2|{host}"), ("cds", $"outbound|80||{host}"),
             ("eds", $"outbound|80|v1|{host}"), ("eds", $"outbound|80|v2|{host}"), ("eds", $"outbound|80||{host}"),
             ("lds", $"{host}:80"), ("rds", $"{host}:80")],
            names);
    }

    [Fact]
    public async Task Renew_ReturnsNothingForTheVersionHeld_AndEverythingOnceItDiffers()
    {
        var (grain, observer, snapshot, _) = await SetUpAsync();
        var reference = fixture.Client.CreateObjectReference<IXdsGatewayObserver>(observer);

        Assert.Null(await grain.RenewAsync(reference, ServiceSnapshot.VersionOf(snapshot.Resources)));
        // The order a gateway holds them in does not matter.
        Assert.Null(await grain.RenewAsync(reference, ServiceSnapshot.VersionOf(snapshot.Resources.Reverse())));

        await grain.UpdateAsync(new ServiceUpdate { Endpoints = [Endpoint("10.0.0.1", "v1"), Endpoint("10.0.0.9", "v2")] });
        var fresh = await grain.RenewAsync(reference, ServiceSnapshot.VersionOf(snapshot.Resources));
        Assert.NotNull(fresh);
        Assert.Equal(snapshot.Resources.Length, fresh.Resources.Length);
        Assert.NotEqual(ServiceSnapshot.VersionOf(snapshot.Resources), ServiceSnapshot.VersionOf(fresh.Resources));
    }

    [Fact]
    public async Task EndpointOnlyUpdate_NotifiesOnlyTheLoadAssignmentsItChanges()
    {
        var (grain, observer, _, host) = await SetUpAsync();

        // Moving the v2 endpoint changes the v2 subset and the whole-service assignment, not v1.
        await grain.UpdateAsync(new ServiceUpdate { Endpoints = [Endpoint("10.0.0.1", "v1"), Endpoint("10.0.0.3", "v2")] });

        var change = await observer.NextAsync<ResourceChange>("the endpoint change");
        Assert.Equal(host, change.Owner);
        Assert.All(change.Updated, r => Assert.Equal(TypeUrls.Endpoint, r.TypeUrl));
        Assert.Equal([$"outbound|80|v2|{host}", $"outbound|80||{host}"], change.Updated.Select(r => r.Name).Order(StringComparer.Ordinal));
        Assert.Empty(change.Removed);
    }

    [Fact]
    public async Task UnchangedEndpoints_NotifyNothing()
    {
        var (grain, observer, _, _) = await SetUpAsync();

        await grain.UpdateAsync(new ServiceUpdate { Endpoints = [Endpoint("10.0.0.2", "v2"), Endpoint("10.0.0.1", "v1")] });

        Assert.True(await observer.QuietAsync(TimeSpan.FromMilliseconds(500)), "an identical endpoint set must not notify gateways");
    }

    [Fact]
    public async Task RemovedService_NotifiesRemovalOfEveryResource()
    {
        var (grain, observer, snapshot, _) = await SetUpAsync();

        await grain.UpdateAsync(new ServiceUpdate { Removed = true });

        var change = await observer.NextAsync<ResourceChange>("the removal");
        Assert.Empty(change.Updated);
        Assert.Equal(snapshot.Resources.Select(r => (r.TypeUrl, r.Name)).Order(), change.Removed.Select(r => (r.TypeUrl, r.Name)).Order());
    }

    [Fact]
    public async Task DroppedSubset_RemovesItsClusterAndLoadAssignment()
    {
        var (grain, observer, _, host) = await SetUpAsync();
        var onlyV1 = Subsets(host) with
        {
            DestinationRule = Subsets(host).DestinationRule! with { Subsets = [Subsets(host).DestinationRule!.Subsets[0]] },
        };

        await grain.UpdateAsync(new ServiceUpdate { Routing = onlyV1 });

        var change = await observer.NextAsync<ResourceChange>("the subset removal");
        Assert.Equal([(TypeUrls.Cluster, $"outbound|80|v2|{host}"), (TypeUrls.Endpoint, $"outbound|80|v2|{host}")],
            change.Removed.Select(r => (r.TypeUrl, r.Name)).Order());
    }

    [Fact]
    public void AnUpdateEqualToWhatTheGrainHolds_IsUnchanged_EvenBuiltAnew_AndAnyDifferenceIsAChange()
    {
        const string host = "reviews.t.svc.cluster.local";
        var current = new ServiceState
        {
            Definition = Service(host),
            Endpoints = [Endpoint("10.0.0.1", "v1"), Endpoint("10.0.0.2", "v2")],
            Routing = Subsets(host),
        };

        // What a reconciler sends: every part re-derived, equal in content, no instance shared.
        Assert.True(ServiceGrain.Unchanged(current, new ServiceUpdate
        {
            Definition = Service(host),
            Endpoints = [Endpoint("10.0.0.1", "v1"), Endpoint("10.0.0.2", "v2")],
            Routing = Subsets(host),
        }));
        Assert.True(ServiceGrain.Unchanged(current, new ServiceUpdate { Endpoints = [Endpoint("10.0.0.1", "v1"), Endpoint("10.0.0.2", "v2")] }));

        Assert.False(ServiceGrain.Unchanged(current, new ServiceUpdate { Endpoints = [Endpoint("10.0.0.1", "v1"), Endpoint("10.0.0.3", "v2")] }));
        Assert.False(ServiceGrain.Unchanged(current, new ServiceUpdate { Endpoints = [Endpoint("10.0.0.2", "v2"), Endpoint("10.0.0.1", "v1")] })); // order is content: the grain rebuilds from it
        Assert.False(ServiceGrain.Unchanged(current, new ServiceUpdate { Definition = Service(host) with { Addresses = ["10.96.1.2"] } }));
        Assert.False(ServiceGrain.Unchanged(current, new ServiceUpdate { Definition = Service(host) with { Ports = [new MeshServicePort("http", 80, Protocol.Http, 9090)] } }));
        Assert.False(ServiceGrain.Unchanged(current, new ServiceUpdate { Routing = ServiceRouting.None }));
        Assert.False(ServiceGrain.Unchanged(current, new ServiceUpdate { Removed = true }));

        // A service the grain never held: defining it is a change, removing it is not.
        var empty = new ServiceState();
        Assert.False(ServiceGrain.Unchanged(empty, new ServiceUpdate { Definition = Service(host) }));
        Assert.True(ServiceGrain.Unchanged(empty, new ServiceUpdate { Removed = true }));
    }

    [Fact]
    public async Task AReconcilersUnchangedUpdate_IsCountedAndPushesNothing_AndTheNextRealChangeStillDoes()
    {
        var (grain, observer, _, host) = await SetUpAsync();
        long unchanged = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == "mesh_grain_unchanged_updates")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "grain" && (string?)tag.Value == "service")
                {
                    Interlocked.Add(ref unchanged, value);
                }
            }
        });
        listener.Start();

        await grain.UpdateAsync(new ServiceUpdate { Definition = Service(host), Endpoints = [Endpoint("10.0.0.1", "v1"), Endpoint("10.0.0.2", "v2")], Routing = Subsets(host) });
        Assert.True(Interlocked.Read(ref unchanged) >= 1, "the equal update was not counted as unchanged");
        await grain.UpdateAsync(new ServiceUpdate { Endpoints = [Endpoint("10.0.0.1", "v1"), Endpoint("10.0.0.4", "v2")] });

        // The first notification the gateway sees is the endpoint move: the unchanged update sent none.
        var change = await observer.NextAsync<ResourceChange>("the endpoint move");
        Assert.All(change.Updated, r => Assert.Equal(TypeUrls.Endpoint, r.TypeUrl));
        Assert.Equal([$"outbound|80|v2|{host}", $"outbound|80||{host}"], change.Updated.Select(r => r.Name).Order(StringComparer.Ordinal));
    }
}
