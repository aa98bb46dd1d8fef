using System.Collections.Immutable;
using Mesh.Grains.Catalog;
using Mesh.Grains.Dtos;
using Mesh.Model.Config;
using Mesh.Model.Services;
using Mesh.Model.Translation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Grains.Tests;

/// <summary>
/// The silo catalog against the order things arrive in: a renewal fetches every namespace's
/// snapshot, and a notification can land while that fetch is in flight.
/// </summary>
public sealed class SiloCatalogTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private static ServiceScopeView View(string host, string ns, string cluster) =>
        new(host, cluster, new ScopeService(host, ns, [], [new MeshServicePort("http", 80, Protocol.Http, null)], [cluster], []));

    [Fact]
    public async Task RenewalFetchedBeforeANotification_DoesNotPutTheOlderViewBack()
    {
        using var services = new ServiceCollection().BuildServiceProvider();
        using var catalog = new SiloCatalog(fixture.Client, TimeProvider.System, MeshSettings.Default, services, NullLogger<SiloCatalog>.Instance);
        var ns = ScopeGrainTests.NewNamespace();
        var svc = ScopeGrainTests.Service("a", ns);
        var config = new NamespaceConfig(ns, [svc], [], [], []);
        var scope = ScopeIdentity.Shared(ProxyKind.Sidecar, ns, null);
        catalog.ApplyFetched(new NamespaceSnapshot(config, [View(svc.Hostname, ns, "old")]), catalog.Stamp);

        // A renewal sends its fetch; the service changes and its notification lands first; then the
        // fetch's answer, still holding the old view.
        var fetchedAt = catalog.Stamp;
        await catalog.OnServiceViewChangedAsync(ns, View(svc.Hostname, ns, "new"));
        catalog.ApplyFetched(new NamespaceSnapshot(config, [View(svc.Hostname, ns, "old")]), fetchedAt);

        Assert.Equal<string>(["new"], catalog.ReadScope("test/" + ns, scope).Services.Single().ClusterNames);

        // A fetch sent after the notification is current: it applies (this is how a renewal repairs a lost notification).
        catalog.ApplyFetched(new NamespaceSnapshot(config, [View(svc.Hostname, ns, "repaired")]), catalog.Stamp);
        Assert.Equal<string>(["repaired"], catalog.ReadScope("test/" + ns, scope).Services.Single().ClusterNames);
    }
}
