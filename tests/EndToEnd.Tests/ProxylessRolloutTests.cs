using System.Net;
using Mesh.EndToEnd.Tests.Harness;
using Mesh.Model.Rollouts;
using Xunit.Abstractions;

namespace Mesh.EndToEnd.Tests;

/// <summary>
/// Staged rollout (issue 14) seen by real gRPC xDS clients (grpcio's C-core, <c>xds:///</c>
/// resolver), four client processes with their own node ids, two of them in the first stage's
/// cohort: while an 80/20 → 0/100 VirtualService change rolls out, the cohort's RPCs all go to v2
/// and the others' keep the 80/20 split; after promotion every client sends everything to v2.
/// </summary>
[Trait("Category", "Functional")]
public sealed class ProxylessRolloutTests(ITestOutputHelper log)
{
    private const string V1 = "v1-a";
    private const string V2 = "v2-b";
    private static readonly TimeSpan Batch = TimeSpan.FromSeconds(10);

    private const string Policy = """
        apiVersion: mesh.dev/v1alpha1
        kind: RolloutPolicy
        metadata: {name: careful, namespace: e2e}
        spec:
          stages: [{percent: 50}, {percent: 100}]
          bake: 1h
        """;

    /// <summary>A node id whose bucket is in (or, with <paramref name="inCohort"/> false, outside) a 50% cohort.</summary>
    private static string NodeId(bool inCohort, int skip) =>
        Enumerable.Range(0, 10_000).Select(i => $"sidecar~127.0.0.{1 + (i % 200)}~client-{i}.default~default.svc.cluster.local")
            .Where(id => Cohort.BucketOf(id) is var b && (inCohort ? b < 4_000 : b >= 6_000)).Skip(skip).First();

    [Fact(Timeout = 300_000)]
    public async Task CohortClients_SeeTheNewSplit_OthersTheOld_AndAfterPromotionEveryoneTheNew()
    {
        await using var processes = new TestProcesses(log);
        using var manifests = new TempManifestDir();
        var backends = processes.Add(await BackendProcess.StartAsync(V1, V2));
        EchoMesh.WriteTo(manifests, backends.Port(V1), backends.Port(V2), EchoMesh.VirtualService(v1Weight: 80, v2Weight: 20));
        manifests.Write("policy.yaml", Policy);
        var silo = processes.Add(await SiloProcess.StartAsync(manifests.Path));
        var cohort = new List<XdsClientProcess>();
        var others = new List<XdsClientProcess>();
        for (var i = 0; i < 2; i++)
        {
            cohort.Add(processes.Add(await XdsClientProcess.StartAsync(silo.XdsPort, EchoMesh.Target, NodeId(inCohort: true, i))));
            others.Add(processes.Add(await XdsClientProcess.StartAsync(silo.XdsPort, EchoMesh.Target, NodeId(inCohort: false, i))));
        }
        foreach (var c in cohort.Concat(others))
        {
            try
            {
                await Eventually.UntilAsync($"client {c.Id}'s first 20 RPCs to succeed", TimeSpan.FromSeconds(60), () => c.CountAsync(20, Batch), r => r.Answered == 20 && r.Failed == 0);
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException($"{e.Message}\n/debug/syncz: {await silo.GetJsonAsync("/debug/syncz")}", e);
            }
        }

        manifests.Write("echo-virtualservice.yaml", EchoMesh.VirtualService(v1Weight: 0, v2Weight: 100));
        foreach (var c in cohort)
        {
            await Eventually.UntilAsync($"cohort client {c.Id} to send all 200 RPCs to v2", TimeSpan.FromSeconds(30), () => c.CountAsync(200, Batch), r => r.Of(V2) == 200 && r.Failed == 0);
        }
        foreach (var c in others)
        {
            var split = await c.CountAsync(500, TimeSpan.FromSeconds(30));
            Assert.True(split.Answered == 500 && split.Failed == 0, $"client {c.Id}: expected 500 answers; got {split}");
            Assert.True(Math.Abs(split.Of(V1) / 500.0 - 0.80) <= 0.07, $"client {c.Id} is outside the cohort and must keep the 80/20 split; got {split}");
        }

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{silo.AdminPort}") };
        var promoted = await http.PostAsync(new Uri("/api/v1/rollouts/e2e/careful/promote", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, promoted.StatusCode);
        foreach (var c in others)
        {
            await Eventually.UntilAsync($"client {c.Id} to send all 200 RPCs to v2 after promotion", TimeSpan.FromSeconds(30), () => c.CountAsync(200, Batch), r => r.Of(V2) == 200 && r.Failed == 0);
        }
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync(new Uri("/api/v1/rollouts/e2e/careful/promote", UriKind.Relative), null)).StatusCode);
        var status = await silo.GetJsonAsync("/api/v1/rollouts/e2e/careful");
        Assert.Equal("Succeeded", status[0].GetProperty("phase").GetString());
        foreach (var c in cohort.Concat(others))
        {
            var after = await c.CountAsync(100, Batch);
            Assert.True(after.Of(V2) == 100 && after.Failed == 0, $"client {c.Id} after the rollout: {after}");
            Assert.False(c.HasExited);
        }
    }
}
