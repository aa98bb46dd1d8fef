using System.Diagnostics;
using System.Globalization;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Mesh.EndToEnd.Tests.Harness;
using Mesh.Model.Translation;
using Mesh.Testing;
using Xunit.Abstractions;

namespace Mesh.EndToEnd.Tests;

/// <summary>
/// S-05 against the real embedded silo process: a delta stream that subscribes 1,000,000 invented
/// names in 20 requests of 50,000 is refused at the limit, the process keeps bounded memory and no
/// busy core after the client has gone, other proxies keep their config, and SIGTERM with a
/// stream holding the most names allowed still exits within the drain window.
/// </summary>
[Trait("Category", "Functional")]
public sealed class OversizedSubscriptionTests(ITestOutputHelper log)
{
    private const int Batch = 50_000;
    private const int Requests = 20;
    private const int Rounds = 6;

    [Fact(Timeout = 300_000)]
    public async Task MillionNameStreams_AreRefusedAtTheLimit_MemoryLevelsOff_AndShutdownKeepsTheDrainWindow_S05()
    {
        using var manifests = new TempManifestDir();
        manifests.Write("mesh.yaml", EchoMesh.ServiceEntry((17001, "v1")));
        var xdsPort = FreePort.Next();
        var adminPort = FreePort.Next();
        await using var silo = ClusterProcess.StartDotnet("silo", "Mesh.Silo.dll", new Dictionary<string, string>
        {
            ["Mesh__Manifests"] = manifests.Path,
            ["Mesh__XdsPort"] = xdsPort.ToString(CultureInfo.InvariantCulture),
            ["Mesh__SiloPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
            ["Mesh__GatewayPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
        }, adminPort);
        await silo.WaitReadyAsync(TimeSpan.FromSeconds(90));
        var xds = new Uri($"http://127.0.0.1:{xdsPort}");
        var pid = silo.Pid;

        // A well-behaved proxy, connected throughout.
        await using var envoy = new AdsTestClient(xds, TestNodes.Sidecar(pod: "envoy-1", ns: EchoMesh.Namespace, ip: "10.0.0.2"));
        await envoy.RequestAsync(TypeUrls.Cluster);
        var cds = await envoy.ExpectResponseAsync(TypeUrls.Cluster, TimeSpan.FromSeconds(30));
        await envoy.AckAsync(cds);
        await SettleAsync();
        var rssBefore = Rss(pid);
        var heapBefore = await LiveHeapAsync(adminPort);

        // Six abusive streams, one after another: each is refused at the limit; afterwards the live
        // heap (after a full compacting GC) is back where it was, and RSS levels off.
        var rssAfter = new List<long>();
        var heapAfter = new List<long>();
        for (var round = 0; round < Rounds; round++)
        {
            var (accepted, refused) = await AbuseAsync(xds, $"abuser-{round}");
            log.WriteLine($"round {round + 1}: refused after {accepted} accepted requests of {Batch}: {refused.Status.StatusCode}: {refused.Status.Detail}");
            Assert.Equal(2, accepted);
            Assert.Contains("limit is 100000 per type (Xds:MaxSubscribedNamesPerType)", refused.Status.Detail, StringComparison.Ordinal);
            await Task.Delay(TimeSpan.FromSeconds(2));
            rssAfter.Add(Rss(pid));
            heapAfter.Add(await LiveHeapAsync(adminPort));
        }
        var cpuQuiet = await CpuOverAsync(pid, TimeSpan.FromSeconds(3));
        log.WriteLine($"silo live heap before {Mb(heapBefore)} MB, after each abusive stream {string.Join(", ", heapAfter.Select(Mb))} MB; RSS before {Mb(rssBefore)} MB, after each {string.Join(", ", rssAfter.Select(Mb))} MB; CPU over the 3 s after the last client left: {cpuQuiet.TotalSeconds:F2} s");
        Assert.True(heapAfter[^1] - heapAfter[1] < 8L * 1024 * 1024, $"the live heap kept growing with each refused stream: {Mb(heapBefore)}, then {string.Join(", ", heapAfter.Select(Mb))} MB");
        Assert.True(rssAfter[^1] - rssAfter.Take(3).Max() < 60L * 1024 * 1024, $"RSS kept growing with each abusive stream: {string.Join(", ", rssAfter.Select(Mb))} MB");
        Assert.True(cpuQuiet < TimeSpan.FromSeconds(1.5), $"the silo used {cpuQuiet.TotalSeconds:F2} s of CPU in the 3 s after the client left");
        var metrics = await silo.GetAsync("/metrics");
        Assert.Contains("xds_requests_refused_total{limit=\"names_per_type\",type=\"eds\"} 6", metrics, StringComparison.Ordinal);

        // The proxy that behaved still gets pushes.
        manifests.Write("mesh.yaml", EchoMesh.ServiceEntry((17001, "v1"), (17002, "v2")) + "---\n" + EchoMesh.DestinationRule());
        var pushed = await envoy.ExpectResponseAsync(TypeUrls.Cluster, TimeSpan.FromSeconds(30));
        Assert.True(pushed.Resources.Count > cds.Resources.Count, $"expected the subsets' clusters to be pushed; got {AdsTestClient.Describe(pushed)}");

        // SIGTERM with a stream holding as many names as one type allows.
        await using var holder = new AdsTestClient(xds, TestNodes.Sidecar(pod: "holder-1", ns: EchoMesh.Namespace, ip: "10.0.0.4"));
        for (var i = 0; i < 2; i++)
        {
            var request = new DeltaDiscoveryRequest { TypeUrl = TypeUrls.Endpoint };
            request.ResourceNamesSubscribe.Add(Enumerable.Range(i * Batch, Batch).Select(n => $"outbound|80||held-{n}.y{n % 1000}.svc.cluster.local"));
            await holder.DeltaRequestAsync(request);
            await holder.DeltaAckAsync(await holder.ExpectDeltaAsync(TypeUrls.Endpoint, TimeSpan.FromSeconds(30)));
        }
        var exit = await silo.TerminateAsync(TimeSpan.FromSeconds(60));
        log.WriteLine($"exited {exit.TotalSeconds:F1} s after SIGTERM with a 100,000-name stream open (drain window 5 s)");
        Assert.True(exit < TimeSpan.FromSeconds(12), $"exit took {exit.TotalSeconds:F1} s after SIGTERM (drain window 5 s)");
    }

    /// <summary>One stream subscribing invented names, 50,000 per request, until it is refused.</summary>
    private static async Task<(int Accepted, RpcException Refused)> AbuseAsync(Uri xds, string pod)
    {
        await using var abuser = new AdsTestClient(xds, TestNodes.Sidecar(pod: pod, ns: EchoMesh.Namespace, ip: "10.0.0.3"));
        for (var i = 0; i < Requests; i++)
        {
            var request = new DeltaDiscoveryRequest { TypeUrl = TypeUrls.Endpoint };
            request.ResourceNamesSubscribe.Add(Enumerable.Range(i * Batch, Batch).Select(n => $"outbound|80||invented-{n}.x{n % 1000}.svc.cluster.local"));
            try
            {
                await abuser.DeltaRequestAsync(request);
                var answer = await abuser.ExpectDeltaAsync(TypeUrls.Endpoint, TimeSpan.FromSeconds(30));
                Assert.Empty(answer.Resources);
                Assert.Equal(Batch, answer.RemovedResources.Count); // X-32: none of them exists for this proxy
                await abuser.DeltaAckAsync(answer);
            }
            catch (Exception ex) when (ex is RpcException or XdsExpectationException or InvalidOperationException)
            {
                return (i, await abuser.ExpectDeltaErrorAsync(StatusCode.ResourceExhausted, TimeSpan.FromSeconds(30)));
            }
        }
        throw new XdsExpectationException($"{Requests} requests of {Batch} names were all accepted");
    }

    /// <summary>The silo's live managed heap after a full compacting GC (<c>POST /debug/gc</c>).</summary>
    private static async Task<long> LiveHeapAsync(int adminPort)
    {
        using var http = new HttpClient();
        using var response = await http.PostAsync(new Uri($"http://127.0.0.1:{adminPort}/debug/gc"), null);
        response.EnsureSuccessStatusCode();
        using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("heapBytesAfter").GetInt64();
    }

    private static string Mb(long bytes) => (bytes / 1048576.0).ToString("F1", CultureInfo.InvariantCulture);

    private static Task SettleAsync() => Task.Delay(TimeSpan.FromSeconds(2));

    private static long Rss(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    private static async Task<TimeSpan> CpuOverAsync(int pid, TimeSpan window)
    {
        var before = Cpu(pid);
        await Task.Delay(window);
        return Cpu(pid) - before;
    }

    /// <summary>utime + stime of the process, from /proc/PID/stat (clock ticks of 10 ms).</summary>
    private static TimeSpan Cpu(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromMilliseconds(ticks * 10);
    }
}
