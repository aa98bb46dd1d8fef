using System.Globalization;
using System.Text.RegularExpressions;

namespace Mesh.EndToEnd.Tests.Harness;

/// <summary>
/// A distributed Mesh on this machine: a real redis-server on a free loopback port, N silos,
/// M xDS gateways and one ingest watching a manifest directory, each its own process.
/// </summary>
internal sealed partial class MeshCluster : IAsyncDisposable
{
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);

    private readonly Dictionary<string, string> _env;

    private MeshCluster(int redisPort, string manifests)
    {
        RedisPort = redisPort;
        Manifests = manifests;
        _env = new()
        {
            ["Mesh__Redis"] = string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{redisPort}"),
            ["Mesh__ClusterId"] = "test-" + Guid.NewGuid().ToString("N")[..8],
        };
    }

    public int RedisPort { get; }

    public string Manifests { get; }

    public ClusterProcess Redis { get; private set; } = null!;

    public List<ClusterProcess> Silos { get; } = [];

    public List<(ClusterProcess Process, int XdsPort)> Gateways { get; } = [];

    public ClusterProcess Ingest { get; private set; } = null!;

    public IReadOnlyList<Uri> GatewayAddresses => [.. Gateways.Select(g => new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{g.XdsPort}")))];

    public static async Task<MeshCluster> StartAsync(string manifests, int silos, int gateways)
    {
        var cluster = new MeshCluster(FreePort.Next(), manifests);
        try
        {
            cluster.Redis = ClusterProcess.StartRedis(cluster.RedisPort, Directory.CreateTempSubdirectory("mesh-redis-").FullName);
            await cluster.Redis.WaitReadyAsync(TimeSpan.FromSeconds(20), cluster.RedisPort);
            for (var i = 0; i < silos; i++)
            {
                cluster.Silos.Add(cluster.StartSilo(i));
            }
            foreach (var s in cluster.Silos)
            {
                await s.WaitReadyAsync(ReadyTimeout);
            }
            cluster.Ingest = ClusterProcess.StartDotnet("ingest", "Mesh.Ingest.dll", new Dictionary<string, string>(cluster._env) { ["Mesh__Manifests"] = manifests }, FreePort.Next());
            await cluster.Ingest.WaitReadyAsync(ReadyTimeout);
            for (var i = 0; i < gateways; i++)
            {
                var port = FreePort.Next();
                cluster.Gateways.Add((cluster.StartGateway(i, port), port));
            }
            foreach (var (g, _) in cluster.Gateways)
            {
                await g.WaitReadyAsync(ReadyTimeout);
            }
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public ClusterProcess StartGateway(int index, int xdsPort) =>
        ClusterProcess.StartDotnet($"gateway{index}", "Mesh.XdsGateway.dll",
            new Dictionary<string, string>(_env) { ["Mesh__XdsPort"] = xdsPort.ToString(CultureInfo.InvariantCulture) }, FreePort.Next());

    private ClusterProcess StartSilo(int index) =>
        ClusterProcess.StartDotnet($"silo{index}", "Mesh.Silo.dll", new Dictionary<string, string>(_env)
        {
            ["Mesh__SiloPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
            ["Mesh__GatewayPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
        }, FreePort.Next());

    /// <summary>Mesh grains active on each silo, from its /metrics.</summary>
    public async Task<List<(ClusterProcess Silo, long Activations)>> ActivationsAsync()
    {
        var result = new List<(ClusterProcess, long)>();
        foreach (var s in Silos.Where(s => !s.HasExited))
        {
            var metrics = await s.GetAsync("/metrics");
            var total = ActivationLine().Matches(metrics).Sum(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
            result.Add((s, total));
        }
        return result;
    }

    public string Tails() => string.Join("\n", new[] { Redis }.Concat(Silos).Concat(Gateways.Select(g => g.Process)).Append(Ingest)
        .Where(p => p is not null).Select(p => p.Output.Tail()));

    public async ValueTask DisposeAsync()
    {
        foreach (var (g, _) in Gateways)
        {
            await g.DisposeAsync();
        }
        if (Ingest is not null)
        {
            await Ingest.DisposeAsync();
        }
        foreach (var s in Silos)
        {
            await s.DisposeAsync();
        }
        if (Redis is not null)
        {
            await Redis.DisposeAsync();
        }
    }

    [GeneratedRegex(@"^mesh_grain_activations\{[^}]*\} (-?\d+)", RegexOptions.Multiline)]
    private static partial Regex ActivationLine();
}
