using System.Diagnostics;
using System.Globalization;
using System.Net;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.EndToEnd.Tests.Harness;
using Mesh.Model.Translation;
using Mesh.Testing;
using Xunit.Abstractions;
using Listener = Envoy.Config.Listener.V3.Listener;

namespace Mesh.EndToEnd.Tests;

/// <summary>The embedded default with the repository's examples/ (Bookinfo) serves proxyless clients.</summary>
[Trait("Category", "Functional")]
public sealed class EmbeddedDefaultTests(ITestOutputHelper log)
{
    private const string ReviewsHost = "reviews.bookinfo.svc.cluster.local";
    private const string ReviewsTarget = ReviewsHost + ":9080";
    private const string RouterType = "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router";
    private static readonly TimeSpan XdsAnswer = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 300_000)]
    public async Task EmbeddedDefault_ServesExamples()
    {
        var examples = Path.Combine(RepoPaths.RepoRoot(), "examples");
        Assert.True(Directory.Exists(examples), $"Expected the Bookinfo example manifests at {examples}");
        await using var processes = new TestProcesses(log);
        var silo = processes.Add(await SiloProcess.StartAsync(examples));

        var (ready, body) = await silo.GetAsync("/readyz");
        Assert.True(ready == HttpStatusCode.OK, $"Expected /readyz 200 with examples/ loaded; got {(int)ready} {body}");

        // A proxyless gRPC client of namespace bookinfo, as xds_client.py's bootstrap describes it.
        var node = TestNodes.WithId("sidecar~127.0.0.1~probe-1.bookinfo~bookinfo.svc.cluster.local", "bookinfo");
        node.Metadata.Fields["GENERATOR"] = Value.ForString("grpc");
        await using var ads = new AdsTestClient(new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{silo.XdsPort}")), node);

        var listener = await ResourceAsync<Listener>(ads, TypeUrls.Listener, ReviewsTarget, l => l.Name);
        Assert.True(listener.ApiListener?.ApiListener_ is not null, $"Expected Listener {ReviewsTarget} to carry an api_listener (G-02); got {listener}");
        var hcm = listener.ApiListener.ApiListener_.Unpack<HttpConnectionManager>();
        Assert.True(
            hcm.HttpFilters.Count > 0 && hcm.HttpFilters[^1].TypedConfig?.TypeUrl == RouterType,
            $"Expected the router filter last in the HttpConnectionManager (G-03); got [{string.Join(", ", hcm.HttpFilters.Select(f => f.TypedConfig?.TypeUrl))}]");

        RouteConfiguration routes;
        if (hcm.RouteSpecifierCase == HttpConnectionManager.RouteSpecifierOneofCase.Rds)
        {
            Assert.True(
                hcm.Rds.ConfigSource?.ConfigSourceSpecifierCase == ConfigSource.ConfigSourceSpecifierOneofCase.Ads,
                $"Expected the RDS config source to be ADS (G-01); got {hcm.Rds}");
            routes = await ResourceAsync<RouteConfiguration>(ads, TypeUrls.Route, hcm.Rds.RouteConfigName, r => r.Name);
        }
        else
        {
            Assert.Equal(HttpConnectionManager.RouteSpecifierOneofCase.RouteConfig, hcm.RouteSpecifierCase);
            routes = hcm.RouteConfig;
        }

        var virtualHost = routes.VirtualHosts.FirstOrDefault(v => v.Domains.Any(d => d is ReviewsHost or ReviewsTarget or "*"));
        Assert.True(virtualHost is not null, $"Expected a VirtualHost whose domains match {ReviewsTarget} (G-04); got {routes}");
        var clusterName = virtualHost.Routes
            .Select(r => r.Route_)
            .Where(action => action is not null)
            .Select(action => action.ClusterSpecifierCase == RouteAction.ClusterSpecifierOneofCase.WeightedClusters
                ? action.WeightedClusters.Clusters.FirstOrDefault()?.Name
                : action.Cluster)
            .FirstOrDefault(name => !string.IsNullOrEmpty(name));
        Assert.True(clusterName?.Contains(ReviewsHost, StringComparison.Ordinal) == true, $"Expected a route to a reviews cluster; got {virtualHost}");

        var cluster = await ResourceAsync<Cluster>(ads, TypeUrls.Cluster, clusterName!, c => c.Name);
        Assert.True(cluster.Type == Cluster.Types.DiscoveryType.Eds, $"Expected cluster {clusterName} to be type EDS (G-05); got {cluster}");
    }

    /// <summary>
    /// Subscribes to one resource by name and ACKs responses until one holds it, as a gRPC client
    /// would; fails after <see cref="XdsAnswer"/> naming the resource and what arrived instead.
    /// </summary>
    private static async Task<T> ResourceAsync<T>(AdsTestClient ads, string typeUrl, string name, Func<T, string> nameOf)
        where T : IMessage<T>, new()
    {
        await ads.RequestAsync(typeUrl, [name]);
        var clock = Stopwatch.StartNew();
        var seen = new List<string>();
        while (clock.Elapsed < XdsAnswer)
        {
            DiscoveryResponse response;
            try
            {
                response = await ads.ExpectResponseAsync(typeUrl, XdsAnswer - clock.Elapsed);
            }
            catch (XdsExpectationException e)
            {
                throw new XdsExpectationException(
                    $"Waiting for {TypeUrls.ShortName(typeUrl)} \"{name}\": {e.Message}. Earlier responses without it: [{string.Join("; ", seen)}]");
            }

            await ads.AckAsync(response);
            var resources = response.Resources.Select(any => any.Unpack<T>()).ToList();
            var match = resources.FirstOrDefault(r => nameOf(r) == name);
            if (match is not null)
            {
                return match;
            }

            seen.Add($"{AdsTestClient.Describe(response)} [{string.Join(", ", resources.Select(nameOf))}]");
        }

        throw new TimeoutException(
            $"Timed out after {XdsAnswer.TotalSeconds:F0} s waiting for {TypeUrls.ShortName(typeUrl)} \"{name}\"; responses without it: {string.Join("; ", seen)}");
    }
}
